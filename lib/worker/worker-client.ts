/**
 * Pool of import workers, one per core by default. Each call runs on an idle
 * worker; aborting a call terminates its worker, since a worker busy in a
 * synchronous hash loop would not see a cancel message until the layer ends.
 * Idle workers are terminated after IDLE_TIMEOUT_MS.
 */
import {
  CodedError,
  abortError,
} from '../core/errors';
import type { ErrorCode } from '../core/errors';
import type { LayerOutcome } from '../core/ingest/image';
import type { LayerProgress } from '../core/ingest/layer';
import type { BuildProgress } from '../core/estargz/build';
import type {
  ConvertLayerRequest,
  ConvertedLayer,
  ErrorEnvelope,
  IngestLayerRequest,
  ReindexLayerRequest,
  WorkerRequest,
  WorkerResponse,
} from './protocol';

const IDLE_TIMEOUT_MS = 30_000;

/** Options of one call on the pool. */
export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: LayerProgress) => void;
}

/** Omit over each member of a union, so the `type` tag stays tied to its fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Options of a convert call, whose progress is the eStargz build's. */
export interface ConvertCallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: BuildProgress) => void;
}

type Pending = {
  resolve: (result: LayerOutcome | ConvertedLayer) => void;
  reject: (error: unknown) => void;
  onProgress?: (progress: LayerProgress | BuildProgress) => void;
};

interface Slot {
  worker: Worker;
  busy: boolean;
  /** Id of the call running on this worker. */
  currentId?: number;
  idleTimer?: ReturnType<typeof setTimeout>;
}

/** Rebuilds an error from the worker with its name, code and stack. */
export function fromEnvelope(envelope: ErrorEnvelope): Error {
  if (envelope.name === 'AbortError') return abortError();
  const error = envelope.code
    ? new CodedError(envelope.code as ErrorCode, envelope.message)
    : new Error(envelope.message);
  error.name = envelope.name;
  if (envelope.stack) error.stack = envelope.stack;
  return error;
}

export class ImportWorkerPool {
  private slots: Slot[] = [];
  private waiting: (() => void)[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 1;
  readonly size: number;

  constructor(size = Math.max(1, navigator.hardwareConcurrency || 2)) {
    this.size = size;
  }

  /** Ingests one layer in a worker; resolves once its chunks and index are stored. */
  run(
    request: Omit<IngestLayerRequest, 'type' | 'id'>,
    options: CallOptions = {},
  ): Promise<LayerOutcome> {
    return this.call<LayerOutcome>({ type: 'ingest-layer', ...request }, options);
  }

  /**
   * Indexes one stored layer with another strategy in a worker, from the
   * chunks of a stored index; resolves once its chunks and index are stored.
   */
  reindex(
    request: Omit<ReindexLayerRequest, 'type' | 'id'>,
    options: CallOptions = {},
  ): Promise<LayerOutcome> {
    return this.call<LayerOutcome>({ type: 'reindex-layer', ...request }, options);
  }

  /**
   * Builds the eStargz blob of one stored layer in a worker; resolves once
   * the blob's chunks are stored. The caller stores the image record.
   */
  convert(
    request: Omit<ConvertLayerRequest, 'type' | 'id'>,
    options: ConvertCallOptions = {},
  ): Promise<ConvertedLayer> {
    return this.call<ConvertedLayer>({ type: 'convert-layer', ...request }, options);
  }

  private async call<R extends LayerOutcome | ConvertedLayer>(
    request: DistributiveOmit<WorkerRequest, 'id'>,
    options: CallOptions | ConvertCallOptions,
  ): Promise<R> {
    const { signal } = options;
    signal?.throwIfAborted();
    const slot = await this.acquire(signal);
    const id = this.nextId++;
    slot.currentId = id;
    return new Promise<R>((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(id);
        this.discard(slot);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        this.release(slot);
      };
      this.pending.set(id, {
        resolve: (result) => { settle(); resolve(result as R); },
        reject: (error) => { settle(); reject(error); },
        onProgress: options.onProgress as Pending['onProgress'],
      });
      slot.worker.postMessage({ ...request, id } as WorkerRequest);
    });
  }

  /** Terminates every worker; calls still running reject. */
  terminate(): void {
    for (const slot of this.slots) slot.worker.terminate();
    this.slots = [];
    for (const pending of this.pending.values()) pending.reject(abortError());
    this.pending.clear();
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./import.worker.ts', import.meta.url), { type: 'module' });
    const slot: Slot = { worker, busy: false };
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => this.receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      const message = event.message || 'the import worker failed to load or crashed';
      const pending = slot.currentId === undefined ? undefined : this.pending.get(slot.currentId);
      if (slot.currentId !== undefined) this.pending.delete(slot.currentId);
      this.discard(slot);
      pending?.reject(new Error(`import worker: ${message}`));
    };
    this.slots.push(slot);
    return slot;
  }

  private receive(message: WorkerResponse): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress' || message.type === 'convert-progress') {
      pending.onProgress?.(message.progress);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.outcome);
    else if (message.type === 'converted') pending.resolve(message.layer);
    else pending.reject(fromEnvelope(message.error));
  }

  private async acquire(signal?: AbortSignal): Promise<Slot> {
    for (;;) {
      signal?.throwIfAborted();
      const idle = this.slots.find((slot) => !slot.busy);
      const slot = idle ?? (this.slots.length < this.size ? this.spawn() : undefined);
      if (slot) {
        clearTimeout(slot.idleTimer);
        slot.busy = true;
        return slot;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(slot: Slot): void {
    if (!this.slots.includes(slot)) return;
    slot.busy = false;
    slot.idleTimer = setTimeout(() => this.discard(slot), IDLE_TIMEOUT_MS);
    this.waiting.shift()?.();
  }

  private discard(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.worker.terminate();
    this.slots = this.slots.filter((s) => s !== slot);
    this.waiting.shift()?.();
  }
}
