/**
 * Registry client: one function per step of the distribution-spec push flow
 * ("Pushing blobs", "Pushing a blob in chunks", "Mounting a blob from another
 * repository", "Pushing manifests"). Plain fetch, for Node and server routes.
 *
 * Limits: sha256 digests only; an upload `Location` is followed wherever it
 * points unless the session's `isAllowedURL` rejects it.
 */
import type { Digest } from '../core/digest';
import { DigestMismatchError } from '../core/errors';
import { concatBytes } from '../core/bytes';
import { sha256 } from '../core/sha256';
import { RegistryError, redactPath } from './errors';
import { parseReference, repositoryScope, parseRepository } from './target';
import {
  discard,
  locationOf,
  repositoryURL,
  send,
  sendOnce,
  waitBeforeRetry,
} from './transport';
import type { CallSpec, RegistrySession } from './transport';

/** An open blob upload: where to send the next bytes, and how many are stored. */
export interface BlobUpload {
  /** Absolute upload URL from the registry's last `Location` header. */
  location: string;
  /** Bytes the registry has stored so far. */
  offset: number;
}

/** The outcome of a cross-repository mount. */
export type MountResult =
  | { mounted: true }
  | { mounted: false; upload: BlobUpload };

/** Manifest bytes as stored, with the media type sent as Content-Type. */
export interface ManifestBytes {
  mediaType: string;
  bytes: Uint8Array;
}

/** Media types that `getManifest` accepts by default. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

/** Largest manifest that `getManifest` reads: 4 MiB, as distribution limits it. */
export const MAX_MANIFEST_SIZE_BYTES = 4 << 20;

const OCTET_STREAM = 'application/octet-stream';

/** Returns true when the repository contains blob `digest` (HEAD). */
export async function blobExists(
  session: RegistrySession,
  digest: Digest,
): Promise<boolean> {
  const response = await send(session, {
    step: `checking blob ${digest}`,
    method: 'HEAD',
    url: repositoryURL(session, `blobs/${digest}`),
    digest,
    // Registries that keep blobs elsewhere redirect a HEAD for a present blob.
    expect: [200, 302, 303, 307, 404],
    retry: true,
  });
  await discard(response);
  return response.status !== 404;
}

/**
 * Mounts blob `digest` from repository `from` on the same registry (POST with
 * `mount` and `from`). A registry that cannot mount replies 202 and opens an
 * ordinary upload instead, which is returned.
 */
export async function mountBlob(
  session: RegistrySession,
  digest: Digest,
  from: string,
): Promise<MountResult> {
  session.authenticator.addScope(repositoryScope(parseRepository(from), ['pull']));
  const url = repositoryURL(session, 'blobs/uploads/');
  url.searchParams.set('mount', digest);
  url.searchParams.set('from', from);
  const spec: CallSpec = {
    step: `mounting blob ${digest} from ${from}`,
    method: 'POST',
    url,
    digest,
    expect: [201, 202],
    retry: true,
  };
  const response = await send(session, spec);
  await discard(response);
  if (response.status === 201) return { mounted: true };
  return { mounted: false, upload: uploadFromReply(response, spec, 0) };
}

/** Opens a blob upload (POST) and returns its first location. */
export async function startUpload(
  session: RegistrySession,
  options: { digest?: Digest } = {},
): Promise<BlobUpload> {
  const spec: CallSpec = {
    step: options.digest ? `starting upload of ${options.digest}` : 'starting upload',
    method: 'POST',
    url: repositoryURL(session, 'blobs/uploads/'),
    digest: options.digest,
    expect: [202],
    retry: true,
  };
  const response = await send(session, spec);
  await discard(response);
  return uploadFromReply(response, spec, 0);
}

/** Returns the registry's view of an upload (GET on its location). */
export async function getUploadStatus(
  session: RegistrySession,
  upload: BlobUpload,
  options: { digest?: Digest } = {},
): Promise<BlobUpload> {
  const spec: CallSpec = {
    step: 'reading upload status',
    method: 'GET',
    url: new URL(upload.location),
    digest: options.digest,
    expect: [200, 204],
    retry: true,
  };
  const response = await send(session, spec);
  await discard(response);
  return uploadFromReply(response, spec, upload.offset);
}

/**
 * Sends `part` at `upload.offset` (PATCH with Content-Range) and returns the
 * upload after it. After a temporary failure or a 416 it reads the upload
 * status and resends only what the registry lacks. Throws a RegistryError
 * that `isUploadLost` accepts when the upload cannot continue.
 */
export async function uploadPart(
  session: RegistrySession,
  upload: BlobUpload,
  part: Uint8Array,
  options: { digest?: Digest } = {},
): Promise<BlobUpload> {
  const partStart = upload.offset;
  const partEnd = partStart + part.length;
  let current = upload;
  for (let attempt = 1; ; attempt++) {
    if (current.offset === partEnd) return current;
    const spec = patchSpec(current, part.subarray(current.offset - partStart), options);
    const result = await sendOnce(session, spec);
    if (result instanceof Response) {
      await discard(result);
      return uploadFromReply(result, spec, partEnd);
    }
    const resumable = result.temporary || result.status === 416;
    if (!resumable) throw result;
    if (attempt >= session.policy.attempts) {
      throw result.status === 416
        ? offsetLostError(spec, 'the registry rejected every resumed range')
        : result.afterAttempts(attempt);
    }
    if (result.temporary) await waitBeforeRetry(session, spec, result, attempt);
    current = await getUploadStatus(session, current, options);
    if (current.offset < partStart || current.offset > partEnd) {
      throw offsetLostError(
        spec,
        `the registry has stored ${current.offset} bytes, outside the part at ` +
          `${partStart}-${partEnd}`,
      );
    }
  }
}

/**
 * Closes an upload with `digest` (PUT), sending `body` as the last bytes when
 * given. If a reply is lost, a HEAD checks whether the blob was stored anyway.
 */
export async function finishUpload(
  session: RegistrySession,
  upload: BlobUpload,
  digest: Digest,
  body?: Uint8Array,
): Promise<Digest> {
  const url = new URL(upload.location);
  url.searchParams.set('digest', digest);
  const spec: CallSpec = {
    step: `finishing upload of ${digest}`,
    method: 'PUT',
    url,
    headers: { 'content-type': OCTET_STREAM },
    body: body ?? new Uint8Array(0),
    digest,
    expect: [201],
    retry: false,
  };
  for (let attempt = 1; ; attempt++) {
    const result = await sendOnce(session, spec);
    if (result instanceof Response) {
      await discard(result);
      checkDigestHeader(result, spec, digest);
      return digest;
    }
    if (attempt > 1 && (await blobExists(session, digest))) return digest;
    if (!result.temporary || attempt >= session.policy.attempts) {
      throw attempt > 1 ? result.afterAttempts(attempt) : result;
    }
    await waitBeforeRetry(session, spec, result, attempt);
  }
}

/** Stores a manifest under `reference` (PUT) and returns its digest. */
export async function putManifest(
  session: RegistrySession,
  reference: string,
  manifest: ManifestBytes,
): Promise<Digest> {
  const digest = await sha256(manifest.bytes);
  const spec: CallSpec = {
    step: `putting manifest ${reference}`,
    method: 'PUT',
    url: repositoryURL(session, `manifests/${parseReference(reference)}`),
    headers: { 'content-type': manifest.mediaType },
    body: manifest.bytes,
    digest,
    expect: [201],
    retry: true,
  };
  const response = await send(session, spec);
  await discard(response);
  checkDigestHeader(response, spec, digest);
  return digest;
}

/** Returns the manifest stored under `reference` (GET), bytes as served. */
export async function getManifest(
  session: RegistrySession,
  reference: string,
  options: { accept?: string[] } = {},
): Promise<ManifestBytes & { digest: Digest }> {
  const spec: CallSpec = {
    step: `getting manifest ${reference}`,
    method: 'GET',
    url: repositoryURL(session, `manifests/${parseReference(reference)}`),
    headers: { accept: (options.accept ?? MANIFEST_MEDIA_TYPES).join(', ') },
    expect: [200],
    retry: true,
  };
  const response = await send(session, spec);
  const bytes = await readBytes(response, spec, MAX_MANIFEST_SIZE_BYTES);
  const digest = await sha256(bytes);
  checkDigestHeader(response, spec, digest);
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
  return { mediaType, bytes, digest };
}

function patchSpec(
  upload: BlobUpload,
  bytes: Uint8Array,
  options: { digest?: Digest },
): CallSpec {
  const last = upload.offset + bytes.length - 1;
  return {
    step: `uploading ${options.digest ?? 'blob'} at offset ${upload.offset}`,
    method: 'PATCH',
    url: new URL(upload.location),
    // distribution-spec, Pushing a blob in chunks: `Content-Range: <start>-<end>`,
    // both inclusive, without the "bytes " unit of RFC 9110.
    headers: {
      'content-type': OCTET_STREAM,
      'content-range': `${upload.offset}-${last}`,
    },
    body: bytes,
    digest: options.digest,
    expect: [202],
    retry: false,
  };
}

/** Returns the upload after a 202 or 204: its Location and its Range end. */
function uploadFromReply(
  response: Response,
  spec: CallSpec,
  expectedOffset: number,
): BlobUpload {
  const location = locationOf(response, spec).href;
  const range = response.headers.get('range');
  return { location, offset: offsetFromRange(range, expectedOffset) };
}

/**
 * Returns the stored byte count for a `Range: 0-<last>` header.
 * NOTE: distribution 2.8.2 sends "0-0" for both an empty upload and a 1-byte
 * one, so "0-0" resolves to the expected offset when that is 0 or 1, else 0.
 */
function offsetFromRange(range: string | null, expected: number): number {
  const match = range ? /^(?:bytes=)?0-(\d+)$/.exec(range.trim()) : null;
  if (!match) return expected;
  const last = Number(match[1]);
  if (last === 0) return expected <= 1 ? expected : 0;
  return last + 1;
}

function checkDigestHeader(response: Response, spec: CallSpec, digest: Digest): void {
  const served = response.headers.get('docker-content-digest');
  if (served && served !== digest) {
    throw new DigestMismatchError(
      `${spec.step}: Docker-Content-Digest of ${spec.method} ${redactPath(spec.url)}`,
      digest,
      served,
    );
  }
}

function offsetLostError(spec: CallSpec, reason: string): RegistryError {
  return new RegistryError({
    step: spec.step,
    status: 416,
    method: spec.method,
    path: redactPath(spec.url),
    diagnostics: [{ code: 'UPLOAD_OFFSET_LOST', message: reason }],
    reason: `upload cannot resume: ${reason}`,
    temporary: false,
  });
}

async function readBytes(
  response: Response,
  spec: CallSpec,
  limit: number,
): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  for (;;) {
    const next = reader ? await reader.read() : { done: true as const, value: undefined };
    if (next.done) return concatBytes(pieces);
    size += next.value.length;
    if (size > limit) {
      await reader?.cancel();
      throw new RegistryError({
        step: spec.step,
        status: response.status,
        method: spec.method,
        path: redactPath(spec.url),
        reason: `reply is larger than ${limit} bytes`,
        temporary: false,
      });
    }
    pieces.push(next.value);
  }
}
