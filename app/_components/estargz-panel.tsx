'use client';
import type { ImageRecord } from '#/lib/core/layer-index';

/** eStargz build, TOC and downloads of one stored image. */
export function EStargzPanel({ record }: { record: ImageRecord; onRecordChange: (record: ImageRecord) => void }) {
  return <p className="muted">{record.estargz ? 'eStargz built.' : 'No eStargz build yet.'}</p>;
}
