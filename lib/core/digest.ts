/**
 * OCI digests. A layer has a `Digest` (of the blob as stored, usually
 * compressed) and a `DiffID` (of the uncompressed tar); the brands keep the two
 * apart in types even though both are `sha256:<64 lowercase hex>` strings.
 */
import { InvalidInputError } from './errors';

export type Digest = string & { readonly __brand: 'Digest' };
export type DiffID = string & { readonly __brand: 'DiffID' };

const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** Returns true when `value` is a `sha256:<64 lowercase hex>` digest. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

/** Parses a digest string; `where` names the field in the error message. */
export function parseDigest(value: unknown, where = 'digest'): Digest {
  if (isDigest(value)) return value;
  if (typeof value === 'string' && /^[a-z0-9+._-]+:/.test(value)) {
    const algorithm = value.slice(0, value.indexOf(':'));
    if (algorithm !== 'sha256') {
      throw new InvalidInputError(
        `${where}: unsupported digest algorithm ${algorithm} in ${JSON.stringify(value)}`,
      );
    }
  }
  throw new InvalidInputError(
    `${where}: invalid digest ${JSON.stringify(value)}, expected sha256:<64 lowercase hex>`,
  );
}

/** Parses a diffID string; `where` names the field in the error message. */
export function parseDiffID(value: unknown, where = 'diffID'): DiffID {
  return parseDigest(value, where) as string as DiffID;
}

/** Returns the 64 hex characters of a digest. */
export function digestHex(digest: Digest | DiffID): string {
  return digest.slice('sha256:'.length);
}

/** Returns the digest for 64 lowercase hex characters. */
export function digestFromHex(hex: string): Digest {
  return parseDigest(`sha256:${hex}`);
}
