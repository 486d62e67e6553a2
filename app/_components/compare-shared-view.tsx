'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { decodeShareLink } from '#/lib/core/share-link';
import type { DecodedShareLink } from '#/lib/core/share-link';
import { CompareResults } from './compare-results';

type Decoded = { link: DecodedShareLink; error?: undefined } | { link?: undefined; error: string };

function decodeHash(hash: string): Decoded {
  try {
    return { link: decodeShareLink(hash) };
  } catch (error) {
    console.error('decoding the share link', error);
    return { error: (error as Error).message };
  }
}

/** Renders the shared-comparison page: decodes the URL fragment and shows it read-only. */
export function CompareSharedView() {
  const [decoded, setDecoded] = useState<Decoded>();

  useEffect(() => {
    const read = () => setDecoded(decodeHash(window.location.hash));
    read();
    window.addEventListener('hashchange', read);
    return () => window.removeEventListener('hashchange', read);
  }, []);

  if (!decoded) return <p className="muted">Reading the link…</p>;
  if (decoded.error !== undefined) {
    return (
      <div className="card">
        <p className="error" role="alert">
          Couldn&apos;t open the shared comparison: {decoded.error}
        </p>
        <p className="muted">
          Ask for the link again, or <Link href="/compare">compare images of your own</Link>.
        </p>
      </div>
    );
  }
  const { comparison, namesIncluded } = decoded.link;
  return (
    <>
      <p className="card note" role="note">
        A shared snapshot: figures as they were when the link was made, read-only.
        {namesIncluded ? '' : ' The link leaves out image names, so the images are numbered.'}{' '}
        <Link href="/compare">Compare images of your own</Link>.
      </p>
      <CompareResults comparison={comparison} />
    </>
  );
}
