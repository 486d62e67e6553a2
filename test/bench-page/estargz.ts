/**
 * Browser side of the benchmark's eStargz figures: converts an imported image
 * from its stored chunks, layer by layer on this thread, as the app does, and
 * then streams its bundle. A separate bundle from entry.ts, so the rest of the
 * bench still runs while the conversion modules are missing or broken.
 */
import { bundleStream } from '../../lib/core/convert/bundle';
import { convertStoredLayer, convertedImage, estargzOptions } from '../../lib/core/convert/estargz';
import type { EStargzLayer } from '../../lib/core/layer-index';
import { webCryptoSHA256 } from '../../lib/browser/webcrypto-hash';
import { IDBChunkStore } from '../../lib/store/idb-chunk-store';

export interface ConvertFigures {
  level: number;
  layers: { inBytes: number; outBytes: number; seconds: number }[];
  /** All layers, config and manifest. */
  seconds: number;
  bundle: { bytes: number; seconds: number };
}

/** Converts the stored image `recordKey` at gzip `level` and streams its bundle. */
export async function convertImage(databaseName: string, recordKey: string, level: number): Promise<ConvertFigures> {
  const store = await IDBChunkStore.open({ name: databaseName });
  try {
    const record = await store.getImage(recordKey);
    const options = { level, hashChunk: webCryptoSHA256 };
    const figures: ConvertFigures = { level, layers: [], seconds: 0, bundle: { bytes: 0, seconds: 0 } };
    const started = performance.now();
    const layers: EStargzLayer[] = [];
    for (let i = 0; i < record.layers.length; i++) {
      const layerStarted = performance.now();
      const { missedPrioritizedFiles: _missed, ...layer } = await convertStoredLayer(record, i, store, options);
      layers.push(layer);
      figures.layers.push({
        inBytes: record.layers[i].size,
        outBytes: layer.size,
        seconds: (performance.now() - layerStarted) / 1000,
      });
    }
    const estargz = await convertedImage(record, layers, estargzOptions(options), 0);
    figures.seconds = (performance.now() - started) / 1000;
    const bundleStarted = performance.now();
    for await (const piece of bundleStream({ ...record, estargz }, store)) figures.bundle.bytes += piece.length;
    figures.bundle.seconds = (performance.now() - bundleStarted) / 1000;
    return figures;
  } finally {
    await store.close();
  }
}
