/**
 * Route replies and logs. Each registry call logs one line (method, host,
 * path without query, status, digest); failures log one line with the code
 * and message. Neither ever includes headers, bodies or credentials.
 */
import { CodedError, isAbortError } from '../../../../lib/core/errors';
import { RegistryError, RegistryNotAllowedError } from '../../../../lib/registry/errors';
import type { RegistryCall } from '../../../../lib/registry/transport';
import type { RouteErrorReply } from '../../../../lib/registry/wire';
import { RouteError } from './request';

/** Status for a client that closed the connection (nginx's 499); the reply goes unread. */
const CLIENT_CLOSED_STATUS = 499;

/** Logs one registry call. */
export function logCall(call: RegistryCall): void {
  const digest = call.digest ? ` ${call.digest}` : '';
  console.info(
    `registry ${call.method} ${call.host}${call.path} ${call.status}${digest} ${call.durationMs}ms`,
  );
}

/** Returns the JSON error reply for `error`, logging it once. */
export function errorResponse(route: string, error: unknown): Response {
  const { status, code, message } = describeError(error);
  if (status === 500) {
    console.error(`registry route ${route}: unexpected error`, error);
  } else if (status !== CLIENT_CLOSED_STATUS) {
    console.warn(`registry route ${route}: ${status} ${code}: ${message}`);
  }
  const body: RouteErrorReply = { error: { code, message } };
  return Response.json(body, { status });
}

function describeError(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof RouteError) {
    return { status: error.status, code: error.code, message: error.message };
  }
  if (error instanceof RegistryNotAllowedError) {
    return { status: 403, code: error.code, message: error.message };
  }
  if (error instanceof RegistryError) {
    return { status: routeStatus(error), code: error.code, message: error.message };
  }
  if (error instanceof CodedError) {
    return { status: 400, code: error.code, message: error.message };
  }
  if (isAbortError(error) || isClientGone(error)) {
    return { status: CLIENT_CLOSED_STATUS, code: 'ABORTED', message: 'request aborted' };
  }
  return {
    status: 500,
    code: 'INTERNAL',
    message: 'internal error in the registry route; the server log has the details',
  };
}

/**
 * Returns true for the error Next.js raises when the browser closes the
 * request while the route still reads its body (`ResponseAborted` in Next 16).
 */
function isClientGone(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'ResponseAborted';
}

/**
 * Returns the route status for a registry failure: the registry's own 4xx,
 * 429 as is, and 502 Bad Gateway for 5xx, no reply, or a malformed reply.
 */
function routeStatus(error: RegistryError): number {
  if (error.status >= 400 && error.status < 500) return error.status;
  return 502;
}
