'use client';
import { formatBytes, shortDigest } from '#/lib/core/format';
import type { EStargzLayer, LayerSummary } from '#/lib/core/layer-index';
import type { VerifyView } from '../_hooks/use-estargz';
import styles from './estargz.module.css';

function Digest({ value }: { value: string }) {
  return (
    <span className="mono" title={value}>
      {shortDigest(value)}
    </span>
  );
}

function VerifyCell({ result }: { result?: VerifyView }) {
  if (!result) return <span className="muted">not checked</span>;
  const classNames = { ok: 'ok', failed: 'error', running: 'muted' };
  return <span className={classNames[result.state]}>{result.message}</span>;
}

/** Lists the converted layers: digests, sizes, ratio to the source blob, verification and download. */
export function EStargzLayerTable(props: {
  layers: readonly EStargzLayer[];
  sources: readonly LayerSummary[];
  verify: Record<number, VerifyView>;
  busy: boolean;
  onDownload: (layerIndex: number) => void;
}) {
  return (
    <div className={styles.tableScroll}>
      <table aria-label="eStargz layers" className={styles.layers}>
        <thead>
          <tr>
            <th>#</th>
            <th>Digest</th>
            <th>DiffID</th>
            <th>TOC digest</th>
            <th className="num">Size</th>
            <th className="num">Uncompressed</th>
            <th className="num" title="eStargz blob size divided by the source blob size">
              vs. source
            </th>
            <th>Verification</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.layers.map((layer, i) => {
            const source = props.sources[i];
            return (
              <tr key={layer.digest + i} data-digest={layer.digest}>
                <td>{i + 1}</td>
                <td>
                  <Digest value={layer.digest} />
                </td>
                <td>
                  <Digest value={layer.diffID} />
                </td>
                <td>
                  <Digest value={layer.tocDigest} />
                </td>
                <td className="num" title={`${layer.size} bytes`}>
                  {formatBytes(layer.size)}
                </td>
                <td className="num" title={`${layer.uncompressedSize} bytes`}>
                  {formatBytes(layer.uncompressedSize)}
                </td>
                <td className="num" title={`source blob: ${formatBytes(source.compressedSize)} (${source.mediaType})`}>
                  {(layer.size / source.compressedSize).toFixed(2)}×
                </td>
                <td className={styles.verify}>
                  <VerifyCell result={props.verify[i]} />
                </td>
                <td>
                  <button disabled={props.busy} aria-label={`Download layer ${i + 1}`} onClick={() => props.onDownload(i)}>
                    .stargz
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
