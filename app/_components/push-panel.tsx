'use client';
import type { ImageRecord } from '#/lib/core/layer-index';

/** Push form of one stored image's eStargz conversion. */
export function PushPanel({ record }: { record: ImageRecord }) {
  return <p className="muted">{record.estargz ? 'Ready to push.' : 'Build eStargz first.'}</p>;
}
