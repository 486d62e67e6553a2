'use client';
import { useMemo } from 'react';
import { mergeLayers } from '#/lib/core/fs/merge';
import type { ImageRecord, LayerIndex } from '#/lib/core/layer-index';
import { useEStargzBuild, useLayerIndexes } from '../_hooks/use-estargz';
import styles from './estargz.module.css';
import { EStargzOptionsForm } from './estargz-options';
import { EStargzProgress } from './estargz-progress';
import { EStargzResult } from './estargz-result';
import { EStargzSource } from './estargz-source';

/** Returns the regular files of the merged filesystem, or none when a layer has no file list. */
function mergedFiles(indexes: readonly LayerIndex[] | undefined): string[] {
  if (!indexes || !indexes.every((index) => index.entries)) return [];
  return mergeLayers(indexes.map((index) => index.entries!))
    .entries.filter((row) => row.entry.type === 'file')
    .map((row) => row.path);
}

function workerCount(): number {
  return typeof navigator === 'undefined' ? 1 : Math.max(1, navigator.hardwareConcurrency || 2);
}

/** eStargz build, TOC and downloads of one stored image. */
export function EStargzPanel({ record, onRecordChange }: { record: ImageRecord; onRecordChange: (record: ImageRecord) => void }) {
  const indexes = useLayerIndexes(record);
  const files = useMemo(() => mergedFiles(indexes), [indexes]);
  const { state, build, cancel } = useEStargzBuild(record, onRecordChange);
  const building = state.phase === 'building';
  return (
    <div>
      {indexes && <EStargzSource indexes={indexes} />}
      <section className={styles.section} aria-label="Build eStargz">
        <h2>Build eStargz</h2>
        <p className="muted">
          Rebuilds every layer as eStargz (one gzip member per file or chunk, a TOC and a footer) from the chunks in
          this browser&apos;s store, without the original archive.
        </p>
        <EStargzOptionsForm
          key={record.estargz?.manifestDigest ?? 'none'}
          initial={record.estargz?.options}
          files={files}
          building={building}
          workers={Math.min(workerCount(), record.layers.length)}
          onBuild={(settings) => void build(settings)}
          onCancel={cancel}
        />
        <EStargzProgress state={state} hadBuild={record.estargz !== undefined} />
      </section>
      {record.estargz && !building && <EStargzResult record={record} converted={record.estargz} />}
    </div>
  );
}
