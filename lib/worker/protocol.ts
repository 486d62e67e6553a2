/** Messages between the page and the import worker. Types only. */
import type { StrategyParams } from '../core/chunk/strategy';
import type { Digest } from '../core/digest';
import type { ErrorCode } from '../core/errors';
import type { LayerOutcome } from '../core/ingest/image';
import type { LayerProgress } from '../core/ingest/layer';
import type { BuildProgress } from '../core/estargz/build';
import type { EStargzLayer, EStargzOptions } from '../core/layer-index';

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

/**
 * Index one stored layer with another strategy, reading it from the chunks
 * of the stored index `sourceIndexDigest`; store the new chunks and index.
 */
export interface ReindexLayerRequest {
  type: 'reindex-layer';
  id: number;
  sourceIndexDigest: Digest;
  layerIndex: number;
  strategy: StrategyParams;
  filesystem: boolean;
  databaseName?: string;
}

/**
 * Build the eStargz blob of one layer of the stored image `recordKey` from
 * its stored chunks and store the blob as 1 MiB chunks.
 */
export interface ConvertLayerRequest {
  type: 'convert-layer';
  id: number;
  recordKey: string;
  layerIndex: number;
  options: EStargzOptions;
  databaseName?: string;
}

export type WorkerRequest = IngestLayerRequest | ReindexLayerRequest | ConvertLayerRequest;

/** The result of a convert-layer request: the stored layer and the prioritized files it lacks. */
export type ConvertedLayer = EStargzLayer & { missedPrioritizedFiles: string[] };

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
  | { type: 'error'; id: number; error: ErrorEnvelope }
  | { type: 'convert-progress'; id: number; progress: BuildProgress }
  | { type: 'converted'; id: number; layer: ConvertedLayer };
