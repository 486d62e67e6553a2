/**
 * File helpers for FsChunkStore: atomic writes, directory listings, the
 * image record JSON form and image file names. Node only.
 */
import { createHash, randomUUID } from 'node:crypto';
import { link, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InvalidInputError } from '../core/errors';
import type { ImageRecord } from '../core/layer-index';

/** Suffix of temporary files, which live in the store's `tmp` folder. */
export const TEMP_SUFFIX = '.tmp';

export interface WriteOptions {
  /** Folder for the temporary file; must be on the same filesystem as `path`. */
  tempDir: string;
  /** Flush the file to disk (fsync) before it gets its final name. */
  durable: boolean;
}

/**
 * Writes `data` to `path` only if `path` does not exist yet; returns false
 * when it already did. The bytes go to a temporary file first, which then
 * gets the final name by a hard link, so a reader never sees a partial file
 * under `path` and exactly one of several racing writers returns true.
 */
export async function createFileAtomic(
  path: string,
  data: Uint8Array,
  options: WriteOptions,
): Promise<boolean> {
  const temp = await writeTempFile(path, data, options);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (!HARD_LINK_UNSUPPORTED.has(errorCode(error) ?? '')) throw error;
    // Without hard links two racing writers may both return true; their
    // bytes are the same, so only the new-chunk count is off.
    if (await exists(path)) return false;
    await rename(temp, path);
    return true;
  } finally {
    await unlinkIfPresent(temp);
  }
}

/** Error codes of filesystems that have no hard links (FAT, some mounts). */
const HARD_LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Writes `data` to `path`, replacing any file there, through a temporary file. */
export async function replaceFileAtomic(
  path: string,
  data: Uint8Array,
  options: WriteOptions,
): Promise<void> {
  const temp = await writeTempFile(path, data, options);
  try {
    await rename(temp, path);
  } catch (error) {
    await unlinkIfPresent(temp);
    throw error;
  }
}

async function writeTempFile(
  path: string,
  data: Uint8Array,
  options: WriteOptions,
): Promise<string> {
  const temp = join(options.tempDir, `${basename(path)}.${randomUUID()}${TEMP_SUFFIX}`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(data);
    if (options.durable) await handle.sync();
  } catch (error) {
    await handle.close();
    await unlinkIfPresent(temp);
    throw error;
  }
  await handle.close();
  return temp;
}

/** Returns the `code` of a Node system error, such as 'ENOENT'. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Returns true when a file or folder exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Deletes `path`; returns false when it did not exist. */
export async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Returns the names in a folder, or none when the folder does not exist. */
export async function listFolder(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; keeps order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await fn(items[at], at);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return results;
}

/** Longest encoded key kept as a file name; longer keys are hashed. */
const MAX_ENCODED_KEY_LENGTH = 200;
const PLAIN_KEY_BYTE = /[a-z0-9._-]/;

/**
 * Returns the file name of an image record. Bytes other than lowercase
 * letters, digits, '.', '_' and '-' become %XX, which keeps names unique on
 * case-insensitive filesystems too. A key whose encoded form is longer than
 * 200 characters is named by its SHA-256 instead, under the 255-byte name
 * limit of common filesystems.
 */
export function imageFileName(key: string): string {
  let encoded = '';
  for (const byte of new TextEncoder().encode(key)) {
    const char = String.fromCharCode(byte);
    encoded += PLAIN_KEY_BYTE.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (encoded.length <= MAX_ENCODED_KEY_LENGTH) return `${encoded}.json`;
  const hash = createHash('sha256').update(key, 'utf8').digest('hex');
  return `sha256-${hash}.json`;
}

/** Returns the JSON text of an image record, raw bytes (its own and its eStargz build's) in base64. */
export function encodeImageRecord(record: ImageRecord): string {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const { estargz } = record;
  return JSON.stringify({
    ...record,
    rawManifest: base64(record.rawManifest),
    rawConfig: base64(record.rawConfig),
    ...(estargz && {
      estargz: { ...estargz, rawManifest: base64(estargz.rawManifest), rawConfig: base64(estargz.rawConfig) },
    }),
  });
}

/** Parses the JSON text of an image record; `file` names it in errors. */
export function decodeImageRecord(text: string, file: string): ImageRecord {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidInputError(`reading image record ${file}: invalid JSON`, {
      cause: error,
    });
  }
  for (const field of ['key', 'rawManifest', 'rawConfig']) {
    if (typeof value[field] !== 'string') {
      throw new InvalidInputError(
        `reading image record ${file}: field ${field} is missing or not a string`,
      );
    }
  }
  const estargz = value.estargz as Record<string, unknown> | undefined;
  return {
    ...value,
    rawManifest: fromBase64(value.rawManifest as string),
    rawConfig: fromBase64(value.rawConfig as string),
    ...(estargz && {
      estargz: {
        ...estargz,
        rawManifest: estargzBytes(estargz.rawManifest),
        rawConfig: estargzBytes(estargz.rawConfig),
      },
    }),
  } as ImageRecord;
}

/**
 * Returns the bytes of an eStargz manifest or config field: base64, or the
 * `{"0": byte, …}` object that records written before base64 encoding contain.
 */
function estargzBytes(value: unknown): Uint8Array {
  if (typeof value === 'string') return fromBase64(value);
  return Uint8Array.from(Object.values(value as Record<string, number>));
}

function fromBase64(text: string): Uint8Array {
  // Copies into a plain Uint8Array, whose slice() copies as callers expect.
  return new Uint8Array(Buffer.from(text, 'base64'));
}
