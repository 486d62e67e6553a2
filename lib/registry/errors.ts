/**
 * Errors from registry calls. A `RegistryError` carries the HTTP status, the
 * distribution-spec `errors[]` of the reply and the request, with the URL cut
 * down to its path so that query secrets (upload `_state`) stay out of its
 * message.
 */

/** One entry of a distribution-spec error reply: `{ code, message, detail }`. */
export interface RegistryDiagnostic {
  code: string;
  message: string;
  detail?: unknown;
}

/** Fields of a `RegistryError`; `step` starts the message. */
export interface RegistryErrorInit {
  step: string;
  status: number;
  method: string;
  path: string;
  diagnostics?: RegistryDiagnostic[];
  temporary?: boolean;
  /** Milliseconds from a `Retry-After` header, when the reply had one. */
  retryAfterMs?: number;
  /** Replaces the text after the request in the message. */
  reason?: string;
  /** Number of tries made; shown in the message when more than one. */
  attempts?: number;
  /** The whole message, for errors rebuilt from a route's reply. */
  message?: string;
  cause?: unknown;
}

/** Status 0 stands for a request that got no HTTP reply at all. */
export const NO_REPLY_STATUS = 0;

/** Status names used as the code of replies without a distribution-spec body. */
const STATUS_CODES: Record<number, string> = {
  [NO_REPLY_STATUS]: 'CONNECTION_FAILED',
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'DENIED',
  404: 'NOT_FOUND',
  405: 'UNSUPPORTED',
  413: 'SIZE_INVALID',
  416: 'RANGE_INVALID',
  429: 'TOOMANYREQUESTS',
};

/** A failed registry call: an error reply, or no reply after the retries. */
export class RegistryError extends Error {
  override name = 'RegistryError';
  readonly status: number;
  readonly diagnostics: RegistryDiagnostic[];
  readonly method: string;
  /** Request path without query or credentials. */
  readonly path: string;
  /** True for replies worth retrying later: 408, 429, 5xx and no reply. */
  readonly temporary: boolean;
  readonly retryAfterMs?: number;
  private readonly init: RegistryErrorInit;

  constructor(init: RegistryErrorInit) {
    super(registryErrorMessage(init), { cause: init.cause });
    this.init = init;
    this.status = init.status;
    this.diagnostics = init.diagnostics ?? [];
    this.method = init.method;
    this.path = init.path;
    this.temporary = init.temporary ?? isTemporaryStatus(init.status);
    this.retryAfterMs = init.retryAfterMs;
  }

  /** The first distribution-spec code, or a name for the status. */
  get code(): string {
    return this.diagnostics[0]?.code ?? codeForStatus(this.status);
  }

  /** Returns this error with the number of tries made added to its message. */
  afterAttempts(attempts: number): RegistryError {
    return new RegistryError({ ...this.init, attempts });
  }
}

/** A request to a host that the caller's allowlist does not contain. */
export class RegistryNotAllowedError extends Error {
  override name = 'RegistryNotAllowedError';
  readonly code = 'REGISTRY_NOT_ALLOWED';
  readonly host: string;
  constructor(step: string, host: string) {
    super(
      `${step}: host ${host} is not an allowed registry; ` +
        'add it to CHUNKED_CONTAINERS_ALLOWED_REGISTRIES on the server',
    );
    this.host = host;
  }
}

/** Returns true for statuses that a later retry may cure. */
export function isTemporaryStatus(status: number): boolean {
  return (
    status === NO_REPLY_STATUS ||
    status === 408 ||
    status === 429 ||
    (status >= 500 && status !== 501 && status <= 599)
  );
}

/** Returns the code name used when a reply has no distribution-spec body. */
export function codeForStatus(status: number): string {
  if (STATUS_CODES[status]) return STATUS_CODES[status];
  return status >= 500 ? 'UNAVAILABLE' : 'UNKNOWN';
}

/** Returns the path of `url` with query, fragment and credentials removed. */
export function redactPath(url: URL | string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return String(url).split(/[?#]/)[0];
  }
}

/** Returns true when the error reports that the registry has lost an upload session. */
export function isUploadLost(error: unknown): boolean {
  if (!(error instanceof RegistryError)) return false;
  const code = error.code;
  return (
    code === 'BLOB_UPLOAD_INVALID' ||
    code === 'BLOB_UPLOAD_UNKNOWN' ||
    code === 'UPLOAD_OFFSET_LOST'
  );
}

/** Returns the diagnostics of an `{ errors: [...] }` reply body; [] otherwise. */
export function parseDiagnostics(text: string): RegistryDiagnostic[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [];
  }
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.filter(isDiagnosticLike).map((entry) => ({
    code: String(entry.code),
    message: typeof entry.message === 'string' ? entry.message : '',
    ...(entry.detail === undefined ? {} : { detail: entry.detail }),
  }));
}

function isDiagnosticLike(
  value: unknown,
): value is { code: unknown; message?: unknown; detail?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

function registryErrorMessage(init: RegistryErrorInit): string {
  if (init.message) return init.message;
  const request = `${init.method} ${init.path}`;
  const tries =
    init.attempts && init.attempts > 1 ? ` (after ${init.attempts} attempts)` : '';
  if (init.reason) return `${init.step}: ${request}: ${init.reason}${tries}`;
  const diagnostics = init.diagnostics ?? [];
  const reply =
    diagnostics.length > 0
      ? diagnostics.map(describeDiagnostic).join('; ')
      : codeForStatus(init.status);
  return `${init.step}: ${request} returned ${init.status}: ${reply}${tries}`;
}

function describeDiagnostic(diagnostic: RegistryDiagnostic): string {
  const detail = describeDetail(diagnostic.detail);
  const text = diagnostic.message
    ? `${diagnostic.code}: ${diagnostic.message}`
    : diagnostic.code;
  return detail ? `${text} (${detail})` : text;
}

function describeDetail(detail: unknown): string {
  if (detail === undefined || detail === null) return '';
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
