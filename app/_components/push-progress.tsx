'use client';
import { formatBytes, shortDigest } from '#/lib/core/format';
import { blobLabel } from '../_hooks/use-push';
import type { BlobRow } from '../_hooks/use-push';

const OUTCOME_TEXT = {
  skipped: 'skipped',
  mounted: 'mounted',
  uploaded: 'uploaded',
} as const;

const STATUS_CLASS: Partial<Record<BlobRow['phase'], string>> = {
  done: 'ok',
  waiting: 'muted',
  failed: 'error',
  cancelled: 'muted',
};

function statusText(row: BlobRow): string {
  if (row.phase === 'done') {
    if (row.blob === 'manifest') return 'tagged';
    return row.outcome ? OUTCOME_TEXT[row.outcome] : 'done';
  }
  return row.phase;
}

function bytesText(row: BlobRow): string {
  const total = formatBytes(row.bytesTotal);
  if (row.phase === 'uploading') return `${formatBytes(row.bytesDone)} of ${total}`;
  if (row.phase !== 'done') return total;
  if (row.blob === 'manifest') return `${total} sent`;
  if (row.outcome === 'uploaded') return `${total} uploaded`;
  return row.outcome === 'mounted' ? `${total}, mounted from another repository` : `${total}, already in the registry`;
}

/** Returns how far a row is, from 0 to 1. A skipped or mounted blob counts as done. */
function fraction(row: BlobRow): number {
  if (row.phase === 'done') return 1;
  if (row.phase !== 'uploading' || row.bytesTotal === 0) return 0;
  return row.bytesDone / row.bytesTotal;
}

/** Shows one row per layer, the config and the manifest, each with its status, bytes and a bar. */
export function PushProgressTable({ rows }: { rows: BlobRow[] }) {
  return (
    <table aria-label="Push progress" style={{ marginTop: 12 }}>
      <thead>
        <tr>
          <th>Blob</th>
          <th>Digest</th>
          <th>Status</th>
          <th>Bytes</th>
          <th style={{ width: 200 }}>Progress</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key} data-phase={row.phase} data-outcome={row.outcome ?? ''}>
            <th scope="row" style={{ background: 'none', fontWeight: 600 }}>
              {blobLabel(row)}
            </th>
            <td className="mono" title={row.digest}>
              {shortDigest(row.digest)}
            </td>
            <td className={STATUS_CLASS[row.phase] ?? ''}>{statusText(row)}</td>
            <td className="num" style={{ textAlign: 'left' }}>
              {bytesText(row)}
            </td>
            <td>
              <progress aria-label={`${blobLabel(row)} progress`} max={1} value={fraction(row)} style={{ width: '100%' }} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
