/**
 * Error classes thrown by the core. Each has a stable `code` that survives the
 * worker boundary, where the class itself does not.
 */

export type ErrorCode =
  | 'INVALID_INPUT'
  | 'IMAGE_ARCHIVE_INVALID'
  | 'TAR_INVALID'
  | 'UNSUPPORTED'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'CHUNK_NOT_FOUND'
  | 'NOT_FOUND'
  | 'QUOTA_EXCEEDED';

/** Base class of every coded error from the core. */
export class CodedError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A value from a caller or a file that fails validation. */
export class InvalidInputError extends CodedError {
  static readonly code = 'INVALID_INPUT';
  override name = 'InvalidInputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_INPUT', message, options);
  }
}

/** An image archive whose structure (index, manifest, config, members) is wrong. */
export class InvalidArchiveError extends CodedError {
  override name = 'InvalidArchiveError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('IMAGE_ARCHIVE_INVALID', message, options);
  }
}

/** A tar stream that cannot be read; `offset` is the byte where it goes wrong. */
export class InvalidTarError extends CodedError {
  override name = 'InvalidTarError';
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super('TAR_INVALID', message, options);
    this.offset = offset;
  }
}

/** Input that is valid but that this program does not handle, named exactly. */
export class UnsupportedError extends CodedError {
  override name = 'UnsupportedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNSUPPORTED', message, options);
  }
}

/** Bytes whose digest is not the one their descriptor or config names. */
export class DigestMismatchError extends CodedError {
  override name = 'DigestMismatchError';
  readonly expected: string;
  readonly actual: string;
  constructor(message: string, expected: string, actual: string) {
    super('DIGEST_MISMATCH', `${message}: expected ${expected}, got ${actual}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** Bytes whose length is not the one their descriptor names. */
export class SizeMismatchError extends CodedError {
  override name = 'SizeMismatchError';
  readonly expected: number;
  readonly actual: number;
  constructor(message: string, expected: number, actual: number) {
    super('SIZE_MISMATCH', `${message}: expected ${expected} bytes, got ${actual}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** A chunk that an index references but the chunk store does not hold. */
export class ChunkNotFoundError extends CodedError {
  override name = 'ChunkNotFoundError';
  readonly digest: string;
  constructor(digest: string) {
    super('CHUNK_NOT_FOUND', `chunk ${digest} is not in the chunk store`);
    this.digest = digest;
  }
}

/** A record (image, index, layer) that the caller names but the store lacks. */
export class NotFoundError extends CodedError {
  override name = 'NotFoundError';
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** Throws a plain Error for a broken internal invariant. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`internal error: ${message}`);
}

/** Returns the DOMException that an aborted operation throws. */
export function abortError(): DOMException {
  return new DOMException('the operation was aborted', 'AbortError');
}

/** Returns true for the error that cancellation raises. */
export function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'AbortError'
  );
}
