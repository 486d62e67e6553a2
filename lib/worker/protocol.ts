/** Messages between the page and the import worker. Types only. */
import type { StrategyParams } from '../core/chunk/strategy';
import type { ErrorCode } from '../core/errors';
import type { LayerOutcome } from '../core/ingest/image';
import type { LayerProgress } from '../core/ingest/layer';

/** Ingest one layer of one image of `file`, store its chunks and index in IndexedDB. */
export interface IngestLayerRequest {
  type: 'ingest-layer';
  id: number;
  file: Blob;
  fileName: string;
  imageIndex: number;
  layerIndex: number;
  strategy: StrategyParams;
  filesystem: boolean;
  databaseName?: string;
}

export type WorkerRequest = IngestLayerRequest;

/** An error carried across the boundary; the client rebuilds it by `code`. */
export interface ErrorEnvelope {
  name: string;
  code?: ErrorCode;
  message: string;
  stack?: string;
}

export type WorkerResponse =
  | { type: 'progress'; id: number; progress: LayerProgress }
  | { type: 'result'; id: number; outcome: LayerOutcome }
  | { type: 'error'; id: number; error: ErrorEnvelope };
