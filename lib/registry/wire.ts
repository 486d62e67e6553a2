/**
 * The app's registry route API, shared by the browser client and the route
 * handlers. Every route takes the target registry, repository and credentials
 * in headers (never in the query string) and replies with JSON; a failure is
 * `{ error: { code, message } }` with an HTTP status.
 *
 * | route (/api/registry/…)  | method | headers besides the target | body       | reply      |
 * |--------------------------|--------|----------------------------|------------|------------|
 * | blob-exists              | POST   | digest                     | none       | { exists } |
 * | blob-mount               | POST   | digest, mount-from         | none       | MountResult|
 * | upload-start             | POST   | digest (for the log)       | none       | { upload } |
 * | upload-status            | POST   | upload location and offset | none       | { upload } |
 * | upload-part              | PATCH  | upload location and offset | part bytes | { upload } |
 * | upload-finish            | PUT    | upload, digest             | none/bytes | { digest } |
 * | manifest                 | PUT    | reference, Content-Type    | manifest   | { digest } |
 */
import { fromUTF8, utf8 } from '../core/bytes';
import { InvalidInputError } from '../core/errors';
import { decodeBase64, encodeBase64 } from '../core/tar/text';
import type { RegistryAuth } from './auth';

/** Route paths, by step. */
export const REGISTRY_ROUTES = {
  blobExists: '/api/registry/blob-exists',
  blobMount: '/api/registry/blob-mount',
  uploadStart: '/api/registry/upload-start',
  uploadStatus: '/api/registry/upload-status',
  uploadPart: '/api/registry/upload-part',
  uploadFinish: '/api/registry/upload-finish',
  manifest: '/api/registry/manifest',
} as const;

/** Request header names; lowercase, as `Headers` reports them. */
export const ROUTE_HEADERS = {
  registry: 'x-registry-host',
  repository: 'x-registry-repository',
  /** `Basic <base64 of username:password>`; absent for anonymous access. */
  authorization: 'x-registry-authorization',
  digest: 'x-registry-digest',
  mountFrom: 'x-registry-mount-from',
  uploadLocation: 'x-registry-upload-location',
  uploadOffset: 'x-registry-upload-offset',
  reference: 'x-registry-reference',
} as const;

/** Largest part body that the upload-part route accepts: 16 MiB. */
export const MAX_ROUTE_PART_SIZE_BYTES = 16 << 20;

/** Largest manifest body that the manifest route accepts: 4 MiB. */
export const MAX_ROUTE_MANIFEST_SIZE_BYTES = 4 << 20;

/** Part size of browser pushes, and its upper bound: 5 MiB. */
export const BROWSER_PART_SIZE_BYTES = 5 << 20;

/** The failure reply of every route. */
export interface RouteErrorReply {
  error: { code: string; message: string };
}

/** Returns the credentials header value for `auth`, or undefined for anonymous. */
export function encodeRouteCredentials(auth: RegistryAuth | undefined): string | undefined {
  if (!auth || auth.type === 'anonymous') return undefined;
  return `Basic ${encodeBase64(utf8(`${auth.username}:${auth.password}`))}`;
}

/** Parses the credentials header; a missing header means anonymous. */
export function decodeRouteCredentials(value: string | null): RegistryAuth {
  if (value === null || value === '') return { type: 'anonymous' };
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(value.trim());
  const decoded = match ? fromUTF8(decodeBase64(match[1])) : '';
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    throw new InvalidInputError(
      `${ROUTE_HEADERS.authorization}: expected "Basic " and base64 of username:password`,
    );
  }
  return {
    type: 'basic',
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
  };
}
