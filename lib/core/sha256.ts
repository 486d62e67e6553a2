/**
 * SHA-256 over hash-wasm, the only importer of hash-wasm. Streaming digests
 * (diffID, blob digest) use `createSHA256().update` per piece.
 */
import { createSHA256, sha256 as sha256Once } from 'hash-wasm';
import type { IHasher } from 'hash-wasm';
import type { Digest } from './digest';

/** Incremental SHA-256 whose `digest()` returns an OCI digest. */
export interface SHA256Hasher {
  update(data: Uint8Array): void;
  digest(): Digest;
}

/** Returns a new incremental hasher. */
export async function createHasher(): Promise<SHA256Hasher> {
  const hasher: IHasher = await createSHA256();
  hasher.init();
  return {
    update(data) {
      hasher.update(data);
    },
    digest() {
      return `sha256:${hasher.digest('hex')}` as Digest;
    },
  };
}

/** Returns the digest of `data` in one call. */
export async function sha256(data: Uint8Array): Promise<Digest> {
  return `sha256:${await sha256Once(data)}` as Digest;
}
