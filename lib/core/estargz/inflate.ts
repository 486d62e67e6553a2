/** Inflates the gzip members in a byte range of a blob, piece by piece. */
import { Gunzip } from 'fflate';
import { readRange } from '../bytes';
import type { ByteSource } from '../bytes';
import { InvalidInputError } from '../errors';

/**
 * Yields the uncompressed bytes of the gzip members that fill
 * `[offset, end)` of `source`, several members one after another included.
 * With `firstMemberOnly`, bytes of later members are dropped, as Go's
 * gzip reader with `Multistream(false)` reads the estargz TOC.
 * Throws InvalidInputError when the range is not whole gzip members.
 *
 * NOTE: fflate 0.8 does not check the CRC-32 in member trailers; callers
 * check content digests instead.
 */
export async function* gunzipRange(
  source: ByteSource,
  offset: number,
  end: number,
  options: { signal?: AbortSignal; firstMemberOnly?: boolean } = {},
): AsyncGenerator<Uint8Array> {
  let out: Uint8Array[] = [];
  let laterMember = false;
  const gunzip = new Gunzip((data) => {
    if (data.length > 0 && !laterMember) out.push(data);
  });
  // fflate calls this when a second or later member starts, before its data.
  gunzip.onmember = () => {
    if (options.firstMemberOnly) laterMember = true;
  };
  const fail = (error: unknown) =>
    new InvalidInputError(
      `inflating ${source.name} from offset ${offset} to ${end}: ${describe(error)}`,
      { cause: error },
    );
  if (end <= offset) throw fail('empty range');
  let read = 0;
  for await (const piece of readRange(source, offset, end - offset, options)) {
    // Small pushes bound each output burst, since deflate expands up to about 1032 times.
    for (let at = 0; at < piece.length; at += PUSH_INPUT_BYTES) {
      const part = piece.subarray(at, at + PUSH_INPUT_BYTES);
      read += part.length;
      try {
        gunzip.push(part, offset + read >= end);
      } catch (error) {
        throw fail(error);
      }
      yield* out;
      out = [];
      if (laterMember) return;
    }
  }
  if (offset + read < end) throw fail('unexpected end of blob');
}

/** Compressed bytes pushed into the inflater at once: at most about 16 MiB come out. */
const PUSH_INPUT_BYTES = 16 << 10;

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.toLowerCase();
  return String(error);
}
