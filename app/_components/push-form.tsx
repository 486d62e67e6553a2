'use client';
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { PushTarget } from '#/lib/browser/push-session';
import type { ImageRecord } from '#/lib/core/layer-index';
import type { RegistryAuth } from '#/lib/registry/auth';

/** Suffix of the default tag, the one the stargz-snapshotter examples use for converted images. */
const ESTARGZ_TAG_SUFFIX = '-esgz';

/** Returns the repository and tag the form starts with, taken from the image's first repo tag. */
export function defaultTarget(record: Pick<ImageRecord, 'repoTags' | 'sourceName'>): Omit<PushTarget, 'registry'> {
  const repoTag = record.repoTags[0];
  let name = repoTag ?? record.sourceName.replace(/(\.(oci|docker))?\.tar$/, '');
  let tag = 'latest';
  const colon = name.lastIndexOf(':');
  if (repoTag && colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  // Leave out a registry host: a first component with a dot or a port, or localhost.
  const first = name.split('/')[0];
  if (name.includes('/') && (/[.:]/.test(first) || first === 'localhost')) name = name.slice(first.length + 1);
  const repository = name.toLowerCase().replace(/[^a-z0-9._/-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'image';
  return { repository, tag: `${tag}${ESTARGZ_TAG_SUFFIX}` };
}

interface PushFormProps {
  record: ImageRecord;
  running: boolean;
  onPush: (target: PushTarget, auth?: RegistryAuth) => void;
  onCancel: () => void;
}

/**
 * Registry, repository, tag and optional credentials. The credentials live in
 * this component's state only: they are never written to IndexedDB, Web
 * Storage or the URL, and they leave the page only in route request headers.
 */
export function PushForm({ record, running, onPush, onCancel }: PushFormProps) {
  const [registry, setRegistry] = useState('');
  const [target, setTarget] = useState(() => defaultTarget(record));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const auth: RegistryAuth | undefined =
      username !== '' ? { type: 'basic', username, password } : undefined;
    onPush({ registry, ...target }, auth);
  };

  return (
    <form className="card" method="post" onSubmit={submit} aria-label="Push destination">
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(220px, 1fr))', gap: '10px 16px' }}>
        <Field label="Registry" hint="host[:port]; plain HTTP on loopback, else HTTPS">
          <input
            required
            value={registry}
            placeholder="127.0.0.1:5000"
            spellCheck={false}
            autoCapitalize="off"
            onChange={(event) => setRegistry(event.target.value)}
          />
        </Field>
        <Field label="Repository" hint="lowercase path, such as team/app">
          <input
            required
            value={target.repository}
            spellCheck={false}
            autoCapitalize="off"
            onChange={(event) => setTarget((t) => ({ ...t, repository: event.target.value }))}
          />
        </Field>
        <Field label="Tag">
          <input
            required
            value={target.tag}
            spellCheck={false}
            autoCapitalize="off"
            onChange={(event) => setTarget((t) => ({ ...t, tag: event.target.value }))}
          />
        </Field>
        <Field label="Username" hint="optional; empty for anonymous push">
          <input
            value={username}
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="off"
            onChange={(event) => setUsername(event.target.value)}
          />
        </Field>
        <Field label="Password or token" hint="kept in this page only, never stored">
          <input
            type="password"
            value={password}
            autoComplete="new-password"
            disabled={username === ''}
            onChange={(event) => setPassword(event.target.value)}
          />
        </Field>
      </div>
      <div className="controls" style={{ marginBottom: 0 }}>
        <button type="submit" className="primary" disabled={running}>
          {running ? 'Pushing…' : 'Push'}
        </button>
        {running && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <span className="muted">
          {running
            ? 'Leaving this tab cancels the push.'
            : 'The server forwards pushes only to the registries on its allowlist.'}
        </span>
      </div>
    </form>
  );
}

function Field({ label, hint, children }: { label: string; hint?: string; children: ReactNode }) {
  return (
    <label style={{ display: 'grid', gap: 4, margin: 0, alignContent: 'start' }}>
      <span style={{ fontWeight: 600 }}>{label}</span>
      {children}
      {hint && (
        <span className="muted" style={{ fontSize: '0.8rem' }}>
          {hint}
        </span>
      )}
    </label>
  );
}
