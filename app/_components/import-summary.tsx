'use client';
import Link from 'next/link';
import type { ImportedImage } from '#/lib/browser/import-session';
import { formatBytes, formatDuration, formatRate } from '#/lib/core/format';
import { ingestReport } from '#/lib/core/ingest/summary';
import { formatStrategy } from '#/lib/core/chunk/params';

/** The import summary: what the command line prints, as a table. */
export function ImportSummary({ imported }: { imported: ImportedImage }) {
  const report = ingestReport(imported.result, imported.seconds);
  return (
    <div data-testid="import-summary" data-report={JSON.stringify(report)}>
      <h2>{report.repoTags[0] ?? report.source}</h2>
      <dl className="summary">
        <dt>Manifest digest</dt>
        <dd className="mono">{report.manifestDigest}</dd>
        <dt>Platform</dt>
        <dd>
          {report.os}/{report.architecture}
          {report.variant ? `/${report.variant}` : ''}
        </dd>
        <dt>Schema version</dt>
        <dd>{report.schemaVersion ?? 'unknown'}</dd>
        <dt>Config</dt>
        <dd>
          <span className="mono">{report.configDigest}</span> ({report.configSize} bytes)
        </dd>
        <dt>Strategy</dt>
        <dd>
          {formatStrategy(report.strategy)}
          {report.filesystem ? ', filesystem-aware' : ', plain bytes'}
        </dd>
        <dt>Chunks</dt>
        <dd>
          {report.chunksCreated} created, {report.chunksDeduplicated} deduplicated ({formatBytes(report.bytesStored)}{' '}
          stored)
        </dd>
        <dt>Indexes created</dt>
        <dd>{report.indexesCreated}</dd>
        <dt>Time</dt>
        <dd>
          {formatDuration(report.seconds)} · {formatRate(report.bytesRead, report.seconds)}
        </dd>
      </dl>
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>Layer digest</th>
            <th className="num">Size</th>
            <th>Media type</th>
            <th className="num">Chunks</th>
            <th>Index digest</th>
          </tr>
        </thead>
        <tbody>
          {report.layers.map((layer) => (
            <tr key={layer.index}>
              <td>{layer.index + 1}</td>
              <td className="mono">{layer.digest}</td>
              <td className="num">{formatBytes(layer.size)}</td>
              <td className="mono">{layer.mediaType}</td>
              <td className="num">{layer.chunkCount}</td>
              <td className="mono">{layer.indexDigest}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <Link href={`/image?key=${encodeURIComponent(imported.result.record.key)}`}>Explore this image</Link>
      </p>
    </div>
  );
}
