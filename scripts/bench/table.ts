/** The printed table and aim lines of the benchmark. */
import type { Derived, IngestComparison, Measured } from './report';
import { MB, rate } from './report';
import type { StageFigure } from './stages';

/** One row: section, figure, value. */
type Row = [string, string, string];

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'inf');
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function stageRows(section: string, figures: Record<string, StageFigure>): Row[] {
  return Object.entries(figures).map(([name, figure]) => [section, name, `${f1(rate(figure))} MB/s`]);
}

function ingestRows(comparisons: IngestComparison[]): Row[] {
  return comparisons.map((c) => {
    const section = c.side === 'chromium' ? `chromium import, ${c.workers} worker(s)` : 'node chunk (CLI)';
    const ideal = `${pct(c.ratioToIdeal)} of ideal ${f1(c.ideal)} (layer-bound ${f1(c.idealLayerBound)})`;
    return [section, c.strategy, `${f1(c.rate)} MB/s = ${ideal}`];
  });
}

function browserRows(m: Measured, d: Derived): Row[] {
  const b = m.browser;
  if (!b) return [];
  const l = b.limits;
  const rows = stageRows('chromium limits, 1 thread', {
    'read (Blob.slice)': l.read,
    'blob digest, hash-wasm': l.blobDigest,
    'inflate, DecompressionStream': l.inflateDecompressionStream,
    'inflate, fflate': l.inflateFflate,
    'SHA-256 streaming, hash-wasm': l.hashWasmStreaming,
    'SHA-256 of 64 KiB chunks, WebCrypto': l.chunkHash,
    'tar parse': l.tarParse,
    'FastCDC boundary scan': l.cut['content-defined'],
    'IndexedDB putMany, new 64 KiB chunks': l.putMany,
  });
  rows.push(...ingestRows(d.ingest.filter((c) => c.side === 'chromium')));
  if (b.variant) {
    const v = b.variant;
    const chunks = `${v.chunksNew} new of ${v.chunksNew + v.chunksDeduplicated} chunks`;
    rows.push(['chromium import, variant after base', v.strategy, `${f1(v.uncompressedBytes / MB / v.seconds)} MB/s, ${chunks}`]);
  }
  for (const entry of b.memory) {
    const memory = entry.memory;
    rows.push([
      `chromium memory, ${entry.image} (${mb(entry.uncompressedBytes)})`,
      'peak renderer RSS / JS heap (page + workers) / worker buffers',
      `${mb(memory.rendererRSSPeak)} (start ${mb(memory.rendererRSSBefore)}) / ${mb(memory.totalHeapPeak)} / ${mb(memory.workerBuffersPeak)}`,
    ]);
  }
  if (d.aims.memory) {
    const { rssIncrease, heapIncrease, rssIncreaseAboveStart } = d.aims.memory;
    const figure = `peak RSS +${pct(rssIncrease)} (growth from start +${pct(rssIncreaseAboveStart)}), heap +${pct(heapIncrease)}`;
    rows.push(['chromium memory', 'double image vs base', figure]);
  }
  return [...rows, ...browserEStargzRows(m)];
}

function browserEStargzRows(m: Measured): Row[] {
  const converted = m.browser!.estargz;
  if ('unavailable' in converted) {
    return [['chromium eStargz', 'from stored chunks', `not available: ${converted.unavailable}`]];
  }
  const section = `chromium eStargz, level ${converted.level}, 1 thread`;
  const rows: Row[] = converted.layers.map((layer, i) => [
    section,
    `layer ${i} (${mb(layer.inBytes)})`,
    `${f1(layer.inBytes / MB / layer.seconds)} MB/s`,
  ]);
  const inBytes = sum(converted.layers.map((layer) => layer.inBytes));
  const bundle = converted.bundle;
  const bundleRate = `bundle ${mb(bundle.bytes)} streamed at ${f1(bundle.bytes / MB / bundle.seconds)} MB/s`;
  rows.push([section, 'whole image', `${f1(inBytes / MB / converted.seconds)} MB/s, ${bundleRate}`]);
  return rows;
}

function nodeRows(m: Measured, d: Derived): Row[] {
  if (!m.node) return [];
  const l = m.node.limits;
  const rows = stageRows('node limits', {
    'read (file)': l.read,
    'blob digest, hash-wasm': l.blobDigest,
    'inflate, fflate': l.inflateFflate,
    'inflate, node:zlib': l.inflateZlib,
    'SHA-256 streaming, hash-wasm': l.hashWasmStreaming,
    'SHA-256 streaming, node:crypto': l.nodeCryptoStreaming,
    'SHA-256 of 64 KiB chunks, hash-wasm': l.chunkHash,
    'tar parse': l.tarParse,
    'FastCDC boundary scan': l.cut['content-defined'],
    'FsChunkStore putMany, new 64 KiB chunks': l.putMany,
  });
  rows.push(...ingestRows(d.ingest.filter((c) => c.side === 'node')));
  const v = m.node.variant;
  if (v) {
    const chunks = `${v.chunksNew} new of ${v.chunksNew + v.chunksDeduplicated} chunks`;
    rows.push(['node chunk (CLI), variant after base', v.strategy, `${f1(v.uncompressedBytes / MB / v.seconds)} MB/s, ${chunks}`]);
  }
  return rows;
}

function estargzRows(m: Measured, d: Derived): Row[] {
  const rows: Row[] = [];
  const own = m.own;
  if (own) {
    own.layers.forEach((layer, i) => {
      const figure = `${f1(layer.inBytes / MB / layer.seconds)} MB/s, ${mb(layer.outBytes)}`;
      rows.push([`node eStargz, level ${own.level}`, `layer ${i} (${mb(layer.inBytes)})`, figure]);
    });
    const inBytes = sum(own.layers.map((layer) => layer.inBytes));
    const times = `${f1(own.seconds)} s, bundle ${f1(own.bundle.seconds)} s`;
    rows.push([`node eStargz, ${own.processes} processes`, 'whole image + bundle', `${f1(inBytes / MB / own.seconds)} MB/s (${times})`]);
  }
  const library = m.library;
  if (library) {
    const inBytes = sum(library.layers.map((layer) => layer.inBytes));
    const outBytes = sum(library.layers.map((layer) => layer.outBytes));
    const figure = `${f1(inBytes / MB / library.seconds)} MB/s (${f1(library.seconds)} s), ${mb(outBytes)}`;
    rows.push([`estargz library, ${library.parts} parts, level ${library.level}`, 'whole image', figure]);
  }
  if (d.estargz) {
    const { timeRatio, sizeRatio } = d.estargz;
    rows.push(['eStargz ours vs library', 'time / size', `${timeRatio.toFixed(2)}x time, ${sizeRatio.toFixed(4)}x size`]);
  }
  return rows;
}

function casyncRows(m: Measured): Row[] {
  const c = m.casync;
  if (!c) return [];
  const chunks = `${c.chunks} chunks of ${(c.averageChunkBytes / 1024).toFixed(1)} KiB on average`;
  return [['casync make', c.options.join(' '), `${f1(c.inBytes / MB / c.seconds)} MB/s, ${chunks}`]];
}

/** Returns the rows of the printed table: section, figure, value. */
export function tableRows(m: Measured, d: Derived): Row[] {
  return [...browserRows(m, d), ...nodeRows(m, d), ...estargzRows(m, d), ...casyncRows(m)];
}

/** Returns one line per aim with the measured figure and whether the run met it. */
export function aimLines(d: Derived): string[] {
  const a = d.aims;
  const mark = (met: boolean) => (met ? 'met' : 'not met');
  const lines: string[] = [];
  if (a.ingestVsIdeal) {
    lines.push(`import, one worker per core, at least 80% of the ideal pipeline: lowest ${pct(a.ingestVsIdeal.ratio)} (${mark(a.ingestVsIdeal.met)})`);
  }
  if (a.ingestVsCasync) {
    lines.push(`content-defined import at least twice casync make: ${a.ingestVsCasync.ratio.toFixed(2)}x (${mark(a.ingestVsCasync.met)})`);
  }
  if (a.memory) {
    lines.push(`peak memory for twice the image under 10% more: RSS +${pct(a.memory.rssIncrease)}, heap +${pct(a.memory.heapIncrease)} (${mark(a.memory.met)})`);
  }
  if (a.estargzTime) {
    lines.push(`eStargz of the whole image in half the library's time: ${a.estargzTime.ratio.toFixed(2)}x (${mark(a.estargzTime.met)})`);
  }
  if (a.estargzSize) {
    lines.push(`eStargz output at most 1% larger than the library's: ${((a.estargzSize.ratio - 1) * 100).toFixed(2)}% (${mark(a.estargzSize.met)})`);
  }
  if (d.biggestCost) lines.push(`biggest cost per byte in the browser import: ${d.biggestCost}`);
  return lines;
}

/** Formats rows as aligned columns. */
export function formatTable(rows: Row[]): string {
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => `${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2]}`).join('\n');
}
