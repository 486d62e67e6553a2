/**
 * `pushImage` for the browser: the same push flow as `push.ts`, with each
 * step sent to the app's registry routes, because browsers cannot reach most
 * registries (no CORS headers, token realms on other hosts). Parts are at most
 * 5 MiB, so no single request from the page is large.
 *
 * Limits: the routes retry registry errors, so this client retries only
 * requests that got no reply from the app. `insecure` is not supported;
 * loopback registries use plain HTTP without it.
 */
import type { Digest } from '../core/digest';
import { UnsupportedError } from '../core/errors';
import type { BlobUpload, ManifestBytes, MountResult } from './client';
import { RegistryError, isTemporaryStatus, NO_REPLY_STATUS } from './errors';
import { runPush } from './push-flow';
import type { PushImageInput, PushResult, PushSteps } from './push-flow';
import { backoffDelay, connectionFailure, isConnectionError, retryPolicy, sleep } from './retry';
import {
  BROWSER_PART_SIZE_BYTES,
  REGISTRY_ROUTES,
  ROUTE_HEADERS,
  encodeRouteCredentials,
} from './wire';

/** Options of the browser `pushImage`: the push input plus where the app is. */
export interface BrowserPushOptions extends PushImageInput {
  /** Origin of the app; the page's own origin unless given. */
  appURL?: string;
  fetch?: typeof fetch;
}

/** Tries per route request that gets no reply at all. */
const ROUTE_ATTEMPTS = 3;

const ROUTE_RETRY = retryPolicy({ attempts: ROUTE_ATTEMPTS, baseDelayMs: 500 });

interface RouteCall {
  step: string;
  path: string;
  method: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  contentType?: string;
}

/** Pushes an image through the app's registry routes; see `push.ts` for the order. */
export async function pushImage(options: BrowserPushOptions): Promise<PushResult> {
  if (options.insecure) {
    throw new UnsupportedError(
      'browser push: insecure is not supported; loopback registries use HTTP without it',
    );
  }
  const partSize = Math.min(options.partSize ?? BROWSER_PART_SIZE_BYTES, BROWSER_PART_SIZE_BYTES);
  return runPush(routeSteps(options), { ...options, partSize });
}

/** Returns push steps that call the app's registry routes. */
export function routeSteps(options: BrowserPushOptions): PushSteps {
  const call = <T>(spec: RouteCall) => callRoute<T>(options, spec);
  return {
    blobExists: async (digest) =>
      (
        await call<{ exists: boolean }>({
          step: `checking blob ${digest}`,
          path: REGISTRY_ROUTES.blobExists,
          method: 'POST',
          headers: { [ROUTE_HEADERS.digest]: digest },
        })
      ).exists,
    mountBlob: (digest, from) =>
      call<MountResult>({
        step: `mounting blob ${digest} from ${from}`,
        path: REGISTRY_ROUTES.blobMount,
        method: 'POST',
        headers: { [ROUTE_HEADERS.digest]: digest, [ROUTE_HEADERS.mountFrom]: from },
      }),
    startUpload: async (digest) =>
      (
        await call<{ upload: BlobUpload }>({
          step: `starting upload of ${digest}`,
          path: REGISTRY_ROUTES.uploadStart,
          method: 'POST',
          headers: { [ROUTE_HEADERS.digest]: digest },
        })
      ).upload,
    uploadPart: (upload, part, digest) => uploadPartThroughApp(options, upload, part, digest),
    finishUpload: async (upload, digest, body) => {
      await call<{ digest: Digest }>({
        step: `finishing upload of ${digest}`,
        path: REGISTRY_ROUTES.uploadFinish,
        method: 'PUT',
        headers: { ...uploadHeaders(upload), [ROUTE_HEADERS.digest]: digest },
        body,
        contentType: 'application/octet-stream',
      });
    },
    putManifest: async (reference, manifest: ManifestBytes) =>
      (
        await call<{ digest: Digest }>({
          step: `putting manifest ${reference}`,
          path: REGISTRY_ROUTES.manifest,
          method: 'PUT',
          headers: { [ROUTE_HEADERS.reference]: reference },
          body: manifest.bytes,
          contentType: manifest.mediaType,
        })
      ).digest,
  };
}

/**
 * Sends one part. When the app does not reply, requests the upload status
 * from it and resends only the bytes that the registry lacks.
 */
async function uploadPartThroughApp(
  options: BrowserPushOptions,
  upload: BlobUpload,
  part: Uint8Array,
  digest: Digest,
): Promise<BlobUpload> {
  const partStart = upload.offset;
  let current = upload;
  for (let attempt = 1; ; attempt++) {
    const rest = part.subarray(current.offset - partStart);
    if (rest.length === 0) return current;
    const spec: RouteCall = {
      step: `uploading ${digest} at offset ${current.offset}`,
      path: REGISTRY_ROUTES.uploadPart,
      method: 'PATCH',
      headers: { ...uploadHeaders(current), [ROUTE_HEADERS.digest]: digest },
      body: rest,
      contentType: 'application/octet-stream',
    };
    try {
      const reply = await sendRoute(options, spec);
      const body = (await readReply(reply, spec.path, spec.method)) as { upload: BlobUpload };
      return body.upload;
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      if (attempt >= ROUTE_ATTEMPTS) throw noReply(spec, error, attempt);
      await sleep(backoffDelay(ROUTE_RETRY, attempt), options.signal);
      current = await uploadStatusThroughApp(options, current, digest, partStart, part.length);
    }
  }
}

async function uploadStatusThroughApp(
  options: BrowserPushOptions,
  upload: BlobUpload,
  digest: Digest,
  partStart: number,
  partLength: number,
): Promise<BlobUpload> {
  const { upload: status } = await callRoute<{ upload: BlobUpload }>(options, {
    step: `reading upload status of ${digest}`,
    path: REGISTRY_ROUTES.uploadStatus,
    method: 'POST',
    headers: { ...uploadHeaders(upload), [ROUTE_HEADERS.digest]: digest },
  });
  if (status.offset < partStart || status.offset > partStart + partLength) {
    throw new RegistryError({
      step: `uploading ${digest}`,
      status: 416,
      method: 'PATCH',
      path: REGISTRY_ROUTES.uploadPart,
      diagnostics: [
        {
          code: 'UPLOAD_OFFSET_LOST',
          message: `registry has stored ${status.offset} bytes, outside the part at ${partStart}`,
        },
      ],
      temporary: false,
    });
  }
  return status;
}

function uploadHeaders(upload: BlobUpload): Record<string, string> {
  return {
    [ROUTE_HEADERS.uploadLocation]: upload.location,
    [ROUTE_HEADERS.uploadOffset]: String(upload.offset),
  };
}

/** Calls a route, retrying when no reply came, and returns its JSON reply. */
async function callRoute<T>(options: BrowserPushOptions, spec: RouteCall): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await sendRoute(options, spec);
      return (await readReply(response, spec.path, spec.method)) as T;
    } catch (error) {
      if (!isConnectionError(error) || attempt >= ROUTE_ATTEMPTS) {
        throw isConnectionError(error) ? noReply(spec, error, attempt) : error;
      }
      await sleep(backoffDelay(ROUTE_RETRY, attempt), options.signal);
    }
  }
}

function sendRoute(options: BrowserPushOptions, spec: RouteCall): Promise<Response> {
  const fetchImpl = options.fetch ?? fetch;
  const headers: Record<string, string> = {
    [ROUTE_HEADERS.registry]: options.registry,
    [ROUTE_HEADERS.repository]: options.repository,
    ...spec.headers,
  };
  const credentials = encodeRouteCredentials(options.auth);
  if (credentials) headers[ROUTE_HEADERS.authorization] = credentials;
  if (spec.contentType) headers['content-type'] = spec.contentType;
  const base = options.appURL ?? globalThis.location?.origin;
  return fetchImpl(new URL(spec.path, base), {
    method: spec.method,
    headers,
    body: spec.body as Uint8Array<ArrayBuffer> | undefined,
    credentials: 'same-origin',
    signal: options.signal,
  });
}

async function readReply(response: Response, path: string, method: string): Promise<unknown> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok && body !== undefined) return body;
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : 'UNKNOWN';
  const message =
    typeof error?.message === 'string'
      ? error.message
      : `${method} ${path} returned ${response.status} without a JSON error`;
  throw new RegistryError({
    step: 'registry route',
    status: response.status,
    method,
    path,
    diagnostics: [{ code, message }],
    temporary: isTemporaryStatus(response.status),
    message,
  });
}

function noReply(spec: RouteCall, error: unknown, attempts: number): RegistryError {
  return new RegistryError({
    step: spec.step,
    status: NO_REPLY_STATUS,
    method: spec.method,
    path: spec.path,
    reason: `no reply from the app (${connectionFailure(error)})`,
    attempts,
    cause: error,
  });
}
