'use client';
import { useState } from 'react';
import type { LayerIndex, SourceTOC } from '#/lib/core/layer-index';
import styles from './estargz.module.css';
import { TOCTable } from './estargz-toc';

function AnnotationCheck({ toc }: { toc: SourceTOC }) {
  if (toc.annotatedTOCDigest === undefined) {
    return <span className={styles.badge}>no toc.digest annotation in the manifest</span>;
  }
  if (toc.annotatedTOCDigest === toc.tocDigest) {
    return <span className={`${styles.badge} ${styles.badgeOk}`}>matches the manifest&apos;s toc.digest annotation</span>;
  }
  return (
    <span className={`${styles.badge} ${styles.badgeBad}`}>
      the manifest&apos;s toc.digest annotation names {toc.annotatedTOCDigest}
    </span>
  );
}

/** Shows the TOCs of source layers that came as eStargz, read at import. */
export function EStargzSource({ indexes }: { indexes: readonly LayerIndex[] }) {
  const layers = indexes.flatMap((index, layerIndex) => (index.sourceTOC ? [{ layerIndex, toc: index.sourceTOC }] : []));
  const [shown, setShown] = useState(layers[0]?.layerIndex ?? 0);
  if (layers.length === 0) return null;
  const current = layers.find((layer) => layer.layerIndex === shown) ?? layers[0];
  return (
    <section className={styles.section} aria-label="Source eStargz layers">
      <h2>Source layers in eStargz</h2>
      <p className="muted">
        {layers.length === indexes.length ? 'Every layer' : `${layers.length} of ${indexes.length} layers`} of
        this image came as eStargz. Their TOCs were read from the archive at import.
      </p>
      <table aria-label="Source TOCs">
        <thead>
          <tr>
            <th>Layer</th>
            <th>TOC digest</th>
            <th>Format</th>
            <th className="num">Entries</th>
            <th className="num">Chunks</th>
            <th className="num">TOC offset</th>
          </tr>
        </thead>
        <tbody>
          {layers.map(({ layerIndex, toc }) => (
            <tr key={layerIndex}>
              <td>{layerIndex + 1}</td>
              <td>
                <span className="mono">{toc.tocDigest}</span> <AnnotationCheck toc={toc} />
              </td>
              <td>{toc.legacy ? 'legacy stargz' : 'eStargz'}</td>
              <td className="num">{toc.entries.length}</td>
              <td className="num">{toc.chunkCount}</td>
              <td className="num">{toc.tocOffset}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {layers.length > 1 && (
        <div className="controls">
          <select aria-label="Source layer" value={current.layerIndex} onChange={(event) => setShown(Number(event.target.value))}>
            {layers.map(({ layerIndex }) => (
              <option key={layerIndex} value={layerIndex}>
                Layer {layerIndex + 1}
              </option>
            ))}
          </select>
        </div>
      )}
      <TOCTable key={current.layerIndex} entries={current.toc.entries} label={`Source TOC of layer ${current.layerIndex + 1}`} />
    </section>
  );
}
