/**
 * Memory of a Chromium page while it works. The page's JS heap comes from CDP
 * Performance.getMetrics, and the heap of each dedicated worker from CDP
 * Runtime.getHeapUsage in its target. Resident memory is VmRSS and VmHWM in
 * /proc/PID/status of the renderer processes that CDP SystemInfo.getProcessInfo
 * lists. Dedicated workers run inside the page's renderer process, so its RSS
 * covers them.
 */
import { readFileSync } from 'node:fs';
import type { Browser, CDPSession, Page } from '@playwright/test';

export interface MemoryFigures {
  samples: number;
  /** Page main-thread JS heap, used bytes. */
  pageHeapPeak: number;
  /** Sum over the live import workers of their used JS heap, at its highest. */
  workerHeapPeak: number;
  /** Page plus workers, at its highest in one sample. */
  totalHeapPeak: number;
  /** Sum over the workers of their ArrayBuffer backing stores (outside the JS heap), at its highest. */
  workerBuffersPeak: number;
  /** RSS of the page's renderer before the run. */
  rendererRSSBefore: number;
  /** Highest RSS of the page's renderer since it started (VmHWM). */
  rendererRSSPeak: number;
  /** Highest sum of RSS over every Chromium process seen in one sample. */
  chromiumRSSPeak: number;
}

/** Reply of CDP Runtime.getHeapUsage. */
interface HeapUsage {
  usedSize?: number;
  backingStorageSize?: number;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples memory every `intervalMs` until `stop`. */
export class MemorySampler {
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;
  private workerSessions = new Map<string, string>();
  private replies = new Map<number, (message: { result?: HeapUsage }) => void>();
  private nextId = 1;
  private figures: MemoryFigures = {
    samples: 0,
    pageHeapPeak: 0,
    workerHeapPeak: 0,
    totalHeapPeak: 0,
    workerBuffersPeak: 0,
    rendererRSSBefore: 0,
    rendererRSSPeak: 0,
    chromiumRSSPeak: 0,
  };

  private constructor(
    private readonly browserSession: CDPSession,
    private readonly pageSession: CDPSession,
  ) {
    browserSession.on('Target.receivedMessageFromTarget', (event) => {
      const message = JSON.parse(event.message) as { id?: number; result?: HeapUsage };
      if (message.id !== undefined) this.replies.get(message.id)?.(message);
    });
  }

  static async start(browser: Browser, page: Page, intervalMs = 200): Promise<MemorySampler> {
    const browserSession = await browser.newBrowserCDPSession();
    const pageSession = await page.context().newCDPSession(page);
    await pageSession.send('Performance.enable');
    const sampler = new MemorySampler(browserSession, pageSession);
    const renderers = await sampler.processes('renderer');
    sampler.figures.rendererRSSBefore = Math.max(0, ...renderers.map((pid) => statusField(pid, 'VmRSS')));
    sampler.timer = setInterval(() => void sampler.sample(), intervalMs);
    await sampler.sample();
    return sampler;
  }

  async stop(): Promise<MemoryFigures> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.sample();
    const renderers = await this.processes('renderer');
    this.figures.rendererRSSPeak = Math.max(0, ...renderers.map((pid) => statusField(pid, 'VmHWM')));
    await this.browserSession.detach().catch(() => undefined);
    await this.pageSession.detach().catch(() => undefined);
    return { ...this.figures };
  }

  private async processes(type?: string): Promise<number[]> {
    const { processInfo } = (await this.browserSession.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number }[];
    };
    return processInfo.filter((p) => type === undefined || p.type === type).map((p) => p.id);
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { metrics } = await this.pageSession.send('Performance.getMetrics');
      const pageHeap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
      const { used: workerHeap, buffers } = await this.workerHeaps();
      const rss = (await this.processes()).reduce((sum, pid) => sum + statusField(pid, 'VmRSS'), 0);
      const f = this.figures;
      f.samples++;
      f.pageHeapPeak = Math.max(f.pageHeapPeak, pageHeap);
      f.workerHeapPeak = Math.max(f.workerHeapPeak, workerHeap);
      f.totalHeapPeak = Math.max(f.totalHeapPeak, pageHeap + workerHeap);
      f.workerBuffersPeak = Math.max(f.workerBuffersPeak, buffers);
      f.chromiumRSSPeak = Math.max(f.chromiumRSSPeak, rss);
    } catch {
      // A sample taken while the page or a worker goes away is skipped.
    } finally {
      this.busy = false;
    }
  }

  /** Returns the used heap and the buffer bytes summed over the worker targets alive now. */
  private async workerHeaps(): Promise<{ used: number; buffers: number }> {
    const { targetInfos } = await this.browserSession.send('Target.getTargets');
    const alive = new Set<string>();
    const total = { used: 0, buffers: 0 };
    for (const target of targetInfos.filter((t) => t.type === 'worker')) {
      alive.add(target.targetId);
      let sessionId = this.workerSessions.get(target.targetId);
      if (!sessionId) {
        ({ sessionId } = await this.browserSession.send('Target.attachToTarget', {
          targetId: target.targetId,
          flatten: false,
        }));
        this.workerSessions.set(target.targetId, sessionId);
      }
      const usage = await this.heapOf(sessionId);
      total.used += usage.usedSize ?? 0;
      total.buffers += usage.backingStorageSize ?? 0;
    }
    for (const id of this.workerSessions.keys()) if (!alive.has(id)) this.workerSessions.delete(id);
    return total;
  }

  private async heapOf(sessionId: string): Promise<HeapUsage> {
    const id = this.nextId++;
    const reply = new Promise<HeapUsage>((resolve) => {
      // A worker busy past this counts as zero in this sample.
      const timer = setTimeout(() => resolve({}), 2000);
      this.replies.set(id, (message) => {
        clearTimeout(timer);
        resolve(message.result ?? {});
      });
    });
    const message = JSON.stringify({ id, method: 'Runtime.getHeapUsage' });
    await this.browserSession.send('Target.sendMessageToTarget', { sessionId, message });
    const used = await reply;
    this.replies.delete(id);
    return used;
  }
}
