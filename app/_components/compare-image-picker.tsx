'use client';
import Link from 'next/link';
import { formatStrategy } from '#/lib/core/chunk/params';
import { formatBytes, shortDigest } from '#/lib/core/format';
import type { StoredImage } from '#/lib/browser/compare-session';

interface Props {
  images: StoredImage[];
  /** Manifest digests of the chosen images. */
  chosen: string[];
  onChange: (chosen: string[]) => void;
  disabled?: boolean;
}

/** Renders checkboxes over the stored images, one per manifest. */
export function CompareImagePicker({ images, chosen, onChange, disabled }: Props) {
  if (images.length === 0) {
    return (
      <p>
        No stored images yet. <Link href="/">Import one or two</Link>, then come back to compare strategies.
      </p>
    );
  }
  const toggle = (digest: string, on: boolean) =>
    onChange(on ? [...chosen, digest] : chosen.filter((d) => d !== digest));
  return (
    <fieldset className="picker">
      <legend>Images</legend>
      <ul aria-label="Stored images">
        {images.map((image) => (
          <li key={image.manifestDigest}>
            <label>
              <input
                type="checkbox"
                disabled={disabled}
                checked={chosen.includes(image.manifestDigest)}
                onChange={(event) => toggle(image.manifestDigest, event.target.checked)}
              />{' '}
              {image.name}
            </label>
            <span className="muted">
              {image.platform.os}/{image.platform.architecture} · {formatBytes(image.size)} ·{' '}
              <span className="mono">{shortDigest(image.manifestDigest)}</span> ·{' '}
              <span title={image.records.map((record) => formatStrategy(record.strategy)).join('\n')}>
                indexed with {image.records.length} {image.records.length === 1 ? 'strategy' : 'strategies'}
              </span>
            </span>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
