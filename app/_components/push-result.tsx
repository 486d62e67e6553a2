'use client';
import { useState } from 'react';
import { pullCommands } from '#/lib/browser/push-session';
import type { PushTarget } from '#/lib/browser/push-session';
import { formatBytes } from '#/lib/core/format';
import type { PushResult } from '#/lib/registry/push-flow';

function outcomeSummary(result: PushResult): string {
  const count = (outcome: string) => result.blobs.filter((blob) => blob.outcome === outcome).length;
  const uploadedBytes = result.blobs.reduce((total, blob) => total + blob.bytes, 0);
  return (
    `${count('uploaded')} uploaded (${formatBytes(uploadedBytes)}), ` +
    `${count('mounted')} mounted, ${count('skipped')} skipped`
  );
}

/** Shows the pushed reference, its manifest digest and the commands that pull it. */
export function PushResultView({ result, target }: { result: PushResult; target: PushTarget }) {
  const commands = pullCommands(target);
  return (
    <div
      className="card"
      role="status"
      data-testid="push-result"
      data-reference={result.reference}
      data-manifest-digest={result.manifestDigest}
    >
      <p className="ok" style={{ margin: 0, fontWeight: 600 }}>
        Pushed <span className="mono">{result.reference}</span>
      </p>
      <dl className="summary" style={{ marginTop: 8 }}>
        <dt>Manifest digest</dt>
        <dd className="mono">{result.manifestDigest}</dd>
        <dt>Blobs</dt>
        <dd>{outcomeSummary(result)}</dd>
      </dl>
      <h3 style={{ fontSize: '1rem', margin: '16px 0 4px' }}>Pull it</h3>
      <Command label="Copy to an OCI layout folder with skopeo" text={commands.skopeo} />
      <Command label="Pull lazily with nerdctl and the stargz snapshotter" text={commands.nerdctl} />
    </div>
  );
}

function Command({ label, text }: { label: string; text: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard?.writeText(text).then(
      () => setCopied(true),
      (error: Error) => console.error('copying a command', error),
    );
  };
  return (
    <div style={{ margin: '6px 0' }}>
      <div className="muted" style={{ fontSize: '0.85rem' }}>
        {label}
      </div>
      <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
        <pre
          aria-label={label}
          style={{ flex: 1, margin: 0, padding: '6px 10px', background: '#eef1f4', borderRadius: 6, overflowX: 'auto' }}
        >
          <code>{text}</code>
        </pre>
        <button type="button" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}
