/**
 * Shared checks for the registry tests: reading a pushed image back with the
 * registry client and with skopeo, and fast retry settings.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from '@playwright/test';
import type { RegistryAuth } from '../../lib/registry/auth';
import { blobExists, getManifest } from '../../lib/registry/client';
import { RegistryError } from '../../lib/registry/errors';
import { manifestBlobDigests } from '../../lib/registry/manifest-check';
import type { RetryPolicy } from '../../lib/registry/retry';
import { createSession } from '../../lib/registry/transport';
import type { TokenUser } from '../helpers/token-server';
import type { FixtureImage } from './oci-fixture';

const run = promisify(execFile);

export const SKOPEO = '/usr/bin/skopeo';

/** Retries with short delays, so fault tests take milliseconds per retry. */
export const FAST_RETRY: Partial<RetryPolicy> = { baseDelayMs: 20, maxDelayMs: 200 };

let repositoryCounter = 0;

/** Returns a repository name not used before in this test process. */
export function uniqueRepository(prefix: string): string {
  repositoryCounter++;
  return `${prefix}/r${process.pid}-${repositoryCounter}`;
}

/** Returns Basic credentials for `user`. */
export function basicAuth(user: TokenUser): RegistryAuth {
  return { type: 'basic', username: user.username, password: user.password };
}

/** Returns the stored manifest bytes under `tag`, or undefined on 404. */
export async function storedManifest(
  host: string,
  repository: string,
  tag: string,
  auth?: RegistryAuth,
): Promise<Uint8Array | undefined> {
  const session = createSession({ registry: host, repository, auth });
  try {
    return (await getManifest(session, tag)).bytes;
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Asserts the invariant of a push that may have failed: when the tag exists,
 * every blob its manifest names exists too. Returns whether the tag exists.
 */
export async function expectNoDanglingTag(
  host: string,
  repository: string,
  tag: string,
  auth?: RegistryAuth,
): Promise<boolean> {
  const bytes = await storedManifest(host, repository, tag, auth);
  if (!bytes) return false;
  const session = createSession({ registry: host, repository, auth });
  const digests = manifestBlobDigests({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    bytes,
  });
  for (const digest of digests) {
    expect(await blobExists(session, digest), `blob ${digest} of ${repository}:${tag}`).toBe(true);
  }
  return true;
}

/** Asserts that `tag` names `image`'s manifest bytes and that all its blobs exist. */
export async function expectPushed(
  host: string,
  repository: string,
  tag: string,
  image: FixtureImage,
  auth?: RegistryAuth,
): Promise<void> {
  const bytes = await storedManifest(host, repository, tag, auth);
  expect(bytes, `manifest ${repository}:${tag}`).toBeDefined();
  expect(Buffer.from(bytes!).equals(Buffer.from(image.manifest.bytes))).toBe(true);
  expect(await expectNoDanglingTag(host, repository, tag, auth)).toBe(true);
}

/** Returns true when skopeo is installed. */
export function hasSkopeo(): boolean {
  return existsSync(SKOPEO);
}

function skopeoCredentials(auth?: RegistryAuth): string[] {
  return auth?.type === 'basic' ? ['--creds', `${auth.username}:${auth.password}`] : ['--no-creds'];
}

/** Returns `skopeo inspect --raw` output: the manifest bytes as served. */
export async function skopeoInspectRaw(
  host: string,
  reference: string,
  auth?: RegistryAuth,
): Promise<Buffer> {
  const { stdout } = await run(
    SKOPEO,
    ['inspect', '--raw', '--tls-verify=false', ...skopeoCredentials(auth), `docker://${host}/${reference}`],
    { encoding: 'buffer', timeout: 60_000 },
  );
  return stdout;
}

/** Returns `skopeo inspect` output, parsed. */
export async function skopeoInspect(
  host: string,
  reference: string,
  auth?: RegistryAuth,
): Promise<{ Digest: string; Layers: string[] }> {
  const { stdout } = await run(
    SKOPEO,
    ['inspect', '--tls-verify=false', ...skopeoCredentials(auth), `docker://${host}/${reference}`],
    { timeout: 60_000 },
  );
  return JSON.parse(stdout);
}

/** Copies an image to an OCI layout directory with skopeo, which verifies every blob. */
export async function skopeoCopyToLayout(
  host: string,
  reference: string,
  directory: string,
  auth?: RegistryAuth,
): Promise<void> {
  await run(
    SKOPEO,
    [
      'copy',
      '--src-tls-verify=false',
      ...(auth?.type === 'basic'
        ? ['--src-creds', `${auth.username}:${auth.password}`]
        : ['--src-no-creds']),
      `docker://${host}/${reference}`,
      `oci:${directory}:copied`,
    ],
    { timeout: 120_000 },
  );
}
