/**
 * Reading metadata members (JSON files and small blobs) of an archive, with
 * errors that name the archive and the member.
 */
import {
  DigestMismatchError,
  InvalidArchiveError,
  InvalidInputError,
  SizeMismatchError,
  UnsupportedError,
} from '../errors';
import type { Descriptor } from '../oci';
import { sha256 } from '../sha256';
import type { MemberTable } from './members';

/** Largest metadata member read whole (manifest, index, config): 16 MiB. */
export const MAX_METADATA_BYTES = 16 << 20;

/**
 * Runs `step` and rethrows its InvalidInputError as InvalidArchiveError, and
 * its UnsupportedError as one, with the archive name in front.
 */
export function asArchiveError<T>(archive: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw rewrap(archive, error);
  }
}

function rewrap(archive: string, error: unknown): unknown {
  const prefix = `reading ${archive}: `;
  if (error instanceof InvalidInputError) {
    return new InvalidArchiveError(prefix + error.message, { cause: error });
  }
  if (error instanceof UnsupportedError && !error.message.startsWith(prefix)) {
    return new UnsupportedError(prefix + error.message, { cause: error });
  }
  return error;
}

/** Returns the path of a blob in an OCI layout. */
export function blobPath(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

/**
 * Reads the blob a descriptor names and checks its size and digest.
 * `what` describes it in errors, such as "manifest of linux/arm64".
 */
export async function readBlob(
  table: MemberTable,
  descriptor: Descriptor,
  what: string,
): Promise<Uint8Array> {
  const path = blobPath(descriptor.digest);
  const where = `reading ${table.source.name}: ${path} (${what})`;
  if (descriptor.size > MAX_METADATA_BYTES) {
    throw new InvalidArchiveError(
      `${where}: descriptor size ${descriptor.size} is more than the ${MAX_METADATA_BYTES}-byte limit`,
    );
  }
  const member = table.resolve(path);
  if (!member) throw new InvalidArchiveError(`${where}: blob is missing`);
  if (member.size !== descriptor.size) {
    throw new SizeMismatchError(where, descriptor.size, member.size);
  }
  const bytes = await table.source.read(member.dataOffset, member.size);
  const actual = await sha256(bytes);
  if (actual !== descriptor.digest) throw new DigestMismatchError(where, descriptor.digest, actual);
  return bytes;
}
