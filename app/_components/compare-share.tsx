'use client';
import { useState } from 'react';
import type { Comparison } from '#/lib/core/compare/types';
import { encodeShareLink } from '#/lib/core/share-link';
import type { OmittedPart } from '#/lib/core/share-link';

interface Shared {
  url: string;
  omitted: OmittedPart[];
  copied: boolean;
}

/** Builds the link of the shared-comparison page for a comparison and copies it. */
export function CompareShare({ comparison }: { comparison: Comparison }) {
  const [includeNames, setIncludeNames] = useState(false);
  const [shared, setShared] = useState<Shared>();
  const [error, setError] = useState<string>();

  const share = async () => {
    setError(undefined);
    let link;
    try {
      link = encodeShareLink(comparison, { includeNames });
    } catch (e) {
      console.error('encoding the share link', e);
      setShared(undefined);
      setError(`Couldn't make a share link: ${(e as Error).message}`);
      return;
    }
    const url = `${window.location.origin}/compare/shared#${link.fragment}`;
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch (e) {
      console.error('copying the share link', e);
    }
    setShared({ url, omitted: link.omitted, copied });
  };

  return (
    <div className="card" aria-label="Share">
      <strong>Share</strong>
      <p className="muted">
        The link carries the figures only: counts, sizes, byte totals, times and strategy parameters, never chunk
        digests or file names. Image names go in only when you tick the box.
      </p>
      <div className="controls">
        <label>
          <input type="checkbox" checked={includeNames} onChange={(event) => {
              setIncludeNames(event.target.checked);
              setShared(undefined);
            }} />{' '}
          Include image names
        </label>
        <button className="primary" onClick={() => void share()}>
          Copy share link
        </button>
      </div>
      {shared && (
        <>
          <input className="share-url" readOnly aria-label="Share link" value={shared.url}
            onFocus={(event) => event.target.select()} />
          <p className={shared.copied ? 'ok' : 'muted'}>
            {shared.copied
              ? 'Copied to the clipboard.'
              : 'The browser did not allow copying: select the link above and copy it.'}
          </p>
          {shared.omitted.length > 0 && (
            <p className="muted" data-testid="share-omitted">
              Left out to keep the link short: {shared.omitted.join(', ')}.
            </p>
          )}
        </>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
