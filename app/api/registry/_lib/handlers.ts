/**
 * Handlers of the registry routes (see lib/registry/wire.ts for the API).
 * Each one checks the caller's origin and the target registry against the
 * allowlist, makes one registry-client step, and maps failures to
 * `{ error: { code, message } }` replies.
 *
 * Auth memory: the routes keep no per-user state. A process-wide
 * `MemoryAuthCache` keeps registry challenges (public) and bearer tokens, so
 * that a push does not fetch a token for every part. Tokens are keyed by the
 * SHA-256 of realm, service, scopes and the caller's credentials. A caller
 * therefore gets a cached token only by presenting the credentials that
 * obtained it, and gains nothing that a new token request would not give.
 * Tokens stay in memory until they expire and are never logged or written
 * out; the cache keeps at most 256 of them. In a Next.js build each route
 * bundle may get its own copy of this module, which costs extra token
 * requests and nothing else.
 */
import {
  blobExists,
  finishUpload,
  getUploadStatus,
  mountBlob,
  putManifest,
  startUpload,
  uploadPart,
} from '../../../../lib/registry/client';
import { MemoryAuthCache } from '../../../../lib/registry/auth-cache';
import { RegistryNotAllowedError } from '../../../../lib/registry/errors';
import {
  IMAGE_MANIFEST_MEDIA_TYPES,
  manifestBlobDigests,
} from '../../../../lib/registry/manifest-check';
import { parseReference, parseRepository } from '../../../../lib/registry/target';
import { createSession } from '../../../../lib/registry/transport';
import type { RegistrySession } from '../../../../lib/registry/transport';
import {
  MAX_ROUTE_MANIFEST_SIZE_BYTES,
  MAX_ROUTE_PART_SIZE_BYTES,
  ROUTE_HEADERS,
} from '../../../../lib/registry/wire';
import { checkSameOrigin, isAllowedURL } from './policy';
import {
  RouteError,
  checkContentType,
  optionalDigest,
  readBody,
  readDigest,
  readTarget,
  readUpload,
  requiredHeader,
} from './request';
import { errorResponse, logCall } from './respond';

const AUTH_CACHE = new MemoryAuthCache();

const OCTET_STREAM = 'application/octet-stream';

interface RouteContext {
  request: Request;
  session: RegistrySession;
}

/** Wraps a step: origin and allowlist checks, a session, and error replies. */
function registryRoute(
  name: string,
  run: (context: RouteContext) => Promise<unknown>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      checkSameOrigin(request);
      const session = createSession({
        ...readTarget(request),
        signal: request.signal,
        authCache: AUTH_CACHE,
        onCall: logCall,
        isAllowedURL: (url) => isAllowedURL(url),
      });
      if (!isAllowedURL(session.baseURL)) {
        throw new RegistryNotAllowedError(`registry route ${name}`, session.registry);
      }
      return Response.json(await run({ request, session }));
    } catch (error) {
      return errorResponse(name, error);
    }
  };
}

/** POST blob-exists: `{ exists }` for the digest header. */
export const handleBlobExists = registryRoute('blob-exists', async ({ request, session }) => ({
  exists: await blobExists(session, readDigest(request)),
}));

/** POST blob-mount: mounts the digest from the mount-from repository. */
export const handleBlobMount = registryRoute('blob-mount', async ({ request, session }) => {
  const from = parseRepository(requiredHeader(request, ROUTE_HEADERS.mountFrom));
  return mountBlob(session, readDigest(request), from);
});

/** POST upload-start: opens an upload and returns `{ upload }`. */
export const handleUploadStart = registryRoute('upload-start', async ({ request, session }) => ({
  upload: await startUpload(session, { digest: optionalDigest(request) }),
}));

/** POST upload-status: returns the registry's view of an upload. */
export const handleUploadStatus = registryRoute('upload-status', async ({ request, session }) => ({
  upload: await getUploadStatus(session, readUpload(request, session), {
    digest: optionalDigest(request),
  }),
}));

/** PATCH upload-part: sends the body (at most 16 MiB) at the upload offset. */
export const handleUploadPart = registryRoute('upload-part', async ({ request, session }) => {
  checkContentType(request, [OCTET_STREAM]);
  const upload = readUpload(request, session);
  const part = await readBody(request, MAX_ROUTE_PART_SIZE_BYTES, 'upload part');
  if (part.length === 0) throw new RouteError(400, 'PART_EMPTY', 'upload part: body is empty');
  return { upload: await uploadPart(session, upload, part, { digest: optionalDigest(request) }) };
});

/** PUT upload-finish: closes an upload with the digest, body as last bytes. */
export const handleUploadFinish = registryRoute('upload-finish', async ({ request, session }) => {
  const upload = readUpload(request, session);
  const digest = readDigest(request);
  const body = await readBody(request, MAX_ROUTE_PART_SIZE_BYTES, 'upload finish');
  const bytes = body.length > 0 ? body : undefined;
  if (bytes) checkContentType(request, [OCTET_STREAM]);
  return { digest: await finishUpload(session, upload, digest, bytes) };
});

/**
 * PUT manifest: stores the body under the reference header, after checking
 * that the repository holds every blob the manifest names.
 */
export const handleManifest = registryRoute('manifest', async ({ request, session }) => {
  const reference = parseReference(requiredHeader(request, ROUTE_HEADERS.reference));
  const mediaType = checkContentType(request, IMAGE_MANIFEST_MEDIA_TYPES);
  const bytes = await readBody(request, MAX_ROUTE_MANIFEST_SIZE_BYTES, 'manifest');
  const manifest = { mediaType, bytes };
  for (const digest of manifestBlobDigests(manifest)) {
    if (!(await blobExists(session, digest))) {
      throw new RouteError(
        400,
        'MANIFEST_BLOB_UNKNOWN',
        `manifest names blob ${digest}, which ${session.registry}/${session.repository} ` +
          'does not hold; push the blob before the manifest',
      );
    }
  }
  return { digest: await putManifest(session, reference, manifest) };
});
