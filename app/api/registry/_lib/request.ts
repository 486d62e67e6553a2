/** Reading and checking what a registry route request carries. */
import { concatBytes } from '../../../../lib/core/bytes';
import type { Digest } from '../../../../lib/core/digest';
import { parseDigest } from '../../../../lib/core/digest';
import type { RegistryAuth } from '../../../../lib/registry/auth';
import type { BlobUpload } from '../../../../lib/registry/client';
import type { RegistrySession } from '../../../../lib/registry/transport';
import { ROUTE_HEADERS, decodeRouteCredentials } from '../../../../lib/registry/wire';

/** A rejected route request: HTTP status, stable code and message. */
export class RouteError extends Error {
  override name = 'RouteError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Registry, repository and credentials from the request headers. */
export interface RouteTarget {
  registry: string;
  repository: string;
  auth: RegistryAuth;
}

/** Returns the target headers; the registry client validates their values. */
export function readTarget(request: Request): RouteTarget {
  return {
    registry: requiredHeader(request, ROUTE_HEADERS.registry),
    repository: requiredHeader(request, ROUTE_HEADERS.repository),
    auth: decodeRouteCredentials(request.headers.get(ROUTE_HEADERS.authorization)),
  };
}

/** Returns the digest header, parsed. */
export function readDigest(request: Request): Digest {
  return parseDigest(requiredHeader(request, ROUTE_HEADERS.digest), ROUTE_HEADERS.digest);
}

/** Returns the digest header when present, for the call log. */
export function optionalDigest(request: Request): Digest | undefined {
  const value = request.headers.get(ROUTE_HEADERS.digest);
  return value === null ? undefined : parseDigest(value, ROUTE_HEADERS.digest);
}

/** Returns the value of header `name`, or throws a 400 RouteError. */
export function requiredHeader(request: Request, name: string): string {
  const value = request.headers.get(name);
  if (value === null || value === '') {
    throw new RouteError(400, 'HEADER_MISSING', `missing request header ${name}`);
  }
  return value;
}

/**
 * Returns the upload from the location and offset headers. The location must
 * be an upload URL of the session's registry and repository, so a caller
 * cannot point the server at another host.
 */
export function readUpload(request: Request, session: RegistrySession): BlobUpload {
  const location = requiredHeader(request, ROUTE_HEADERS.uploadLocation);
  const offsetText = requiredHeader(request, ROUTE_HEADERS.uploadOffset);
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new RouteError(
      400,
      'UPLOAD_LOCATION_INVALID',
      `${ROUTE_HEADERS.uploadLocation} is not a URL`,
    );
  }
  const prefix = `/v2/${session.repository}/blobs/uploads/`;
  if (url.origin !== session.baseURL.origin || !url.pathname.startsWith(prefix)) {
    throw new RouteError(
      400,
      'UPLOAD_LOCATION_INVALID',
      `upload location ${url.origin}${url.pathname} is not an upload of ` +
        `${session.baseURL.origin}${prefix}`,
    );
  }
  const offset = Number(offsetText);
  if (!/^\d+$/.test(offsetText) || !Number.isSafeInteger(offset)) {
    throw new RouteError(
      400,
      'UPLOAD_OFFSET_INVALID',
      `invalid ${ROUTE_HEADERS.uploadOffset} ${offsetText}, expected a byte count`,
    );
  }
  return { location: url.href, offset };
}

/**
 * Reads the request body, at most `limit` bytes. Throws a 413 RouteError
 * beyond that, and a 400 when fewer bytes arrive than Content-Length states.
 */
export async function readBody(
  request: Request,
  limit: number,
  bodyName: string,
): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) {
    throw tooLarge(bodyName, Number(declared), limit);
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const pieces: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(bodyName, size, limit);
    }
    pieces.push(value);
  }
  if (declared !== null && Number(declared) !== size) {
    throw new RouteError(
      400,
      'BODY_INCOMPLETE',
      `${bodyName}: received ${size} bytes, but Content-Length is ${declared}`,
    );
  }
  return concatBytes(pieces);
}

/** Throws a 415 RouteError unless Content-Type is one of `types`. */
export function checkContentType(request: Request, types: string[]): string {
  const type = (request.headers.get('content-type') ?? '').split(';')[0].trim();
  if (!types.includes(type)) {
    throw new RouteError(
      415,
      'CONTENT_TYPE_INVALID',
      `Content-Type ${type || '(none)'} is not accepted here; expected ${types.join(' or ')}`,
    );
  }
  return type;
}

function tooLarge(bodyName: string, size: number, limit: number): RouteError {
  return new RouteError(
    413,
    'BODY_TOO_LARGE',
    `${bodyName}: body of ${size} bytes is larger than the ${limit}-byte limit`,
  );
}
