/**
 * Share links: a strategy comparison in a URL fragment, `cmp=` followed by the
 * base64url of this envelope, which stays the same in every version:
 *
 *   version        1 byte, FORMAT_VERSION of the writer
 *   body length    LEB128 varint
 *   body           raw DEFLATE of the version's packed comparison
 *   checksum       CRC-32 of all bytes before it, 4 bytes big-endian
 *
 * A link carries derived figures only: counts, byte totals, sizes, times and
 * strategy parameters, never chunk digests, and image names only when the
 * caller includes them.
 */
import { deflateSync, inflateSync } from 'fflate';
import type { Comparison } from './compare/types';
import {
  ByteFormatError,
  ByteReader,
  ByteWriter,
  crc32,
  fromBase64URL,
  toBase64URL,
} from './compare/link-bytes';
import { packComparison, unpackComparison } from './compare/link-packing';
import type { PackedParts } from './compare/link-packing';
import { InvalidInputError } from './errors';

/** Version of the body layout that this code writes and reads. */
export const FORMAT_VERSION = 1;
/** Text before the base64url in every share-link fragment. */
export const FRAGMENT_PREFIX = 'cmp=';
/** Default budget of a fragment: 4096 characters, short enough for chat and issue trackers. */
export const DEFAULT_BUDGET_CHARS = 4096;
/** Largest fragment that decodeShareLink reads: 64 KiB of text. */
const MAX_FRAGMENT_CHARS = 64 * 1024;
/** Largest inflated body that decodeShareLink accepts: 4 MiB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const CHECKSUM_BYTES = 4;

/** Parts that encodeShareLink drops, in this order, to fit the budget. */
export type OmittedPart = 'histograms' | 'update costs' | 'image names';

export interface ShareLinkOptions {
  /** Puts image names into the link; off by default, so names stay private. */
  includeNames?: boolean;
  /** Largest fragment length in characters, `cmp=` included; default 4096. */
  budget?: number;
}

export interface ShareLink {
  /** The URL fragment without the leading `#`. */
  fragment: string;
  /** Parts dropped to fit the budget, in the order they were dropped. */
  omitted: OmittedPart[];
}

export interface DecodedShareLink {
  /**
   * The comparison; without names, images are called `image 1`, `image 2`
   * and so on, and dropped parts (histograms, update costs) are undefined.
   */
  comparison: Comparison;
  namesIncluded: boolean;
}

/**
 * Encodes a comparison into a fragment within the budget, dropping
 * histograms, then update costs, then image names when it must. Throws
 * InvalidInputError when even the smallest form is over the budget.
 */
export function encodeShareLink(
  comparison: Comparison,
  options: ShareLinkOptions = {},
): ShareLink {
  const budget = options.budget ?? DEFAULT_BUDGET_CHARS;
  if (!Number.isInteger(budget) || budget < 1 || budget > MAX_FRAGMENT_CHARS) {
    throw new InvalidInputError(
      `encoding share link: budget must be a whole number of characters from 1 to ${MAX_FRAGMENT_CHARS}, got ${budget}`,
    );
  }
  // A comparison decoded from a link may already lack histograms or costs.
  const parts: PackedParts = {
    names: options.includeNames === true,
    histograms: comparison.strategies.every((strategy) =>
      strategy.images.every((image) => image.histogram !== undefined),
    ),
    updateCosts: comparison.strategies.every(
      (strategy) => strategy.updateCosts !== undefined,
    ),
  };
  const omitted: OmittedPart[] = [];
  const droppable: [OmittedPart, keyof PackedParts][] = [
    ['histograms', 'histograms'],
    ['update costs', 'updateCosts'],
    ['image names', 'names'],
  ];
  let fragment = encodeFragment(comparison, parts);
  for (const [label, key] of droppable) {
    if (fragment.length <= budget) break;
    if (!parts[key]) continue;
    parts[key] = false;
    omitted.push(label);
    fragment = encodeFragment(comparison, parts);
  }
  if (fragment.length > budget) {
    const without = omitted.length > 0 ? ` without ${omitted.join(', ')}` : '';
    throw new InvalidInputError(
      `encoding share link: ${fragment.length} characters${without}, over the budget of ${budget}`,
    );
  }
  return { fragment, omitted };
}

function encodeFragment(comparison: Comparison, parts: PackedParts): string {
  let packed: Uint8Array;
  try {
    packed = packComparison(comparison, parts);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new InvalidInputError(`encoding share link: ${error.message}`, {
      cause: error,
    });
  }
  const body = deflateSync(packed, { level: 9 });
  const envelope = new ByteWriter();
  envelope.byte(FORMAT_VERSION);
  envelope.varint(body.length);
  envelope.bytes(body);
  const unsigned = envelope.finish();
  const checksum = crc32(unsigned);
  const out = new Uint8Array(unsigned.length + CHECKSUM_BYTES);
  out.set(unsigned);
  new DataView(out.buffer).setUint32(unsigned.length, checksum);
  return FRAGMENT_PREFIX + toBase64URL(out);
}

/**
 * Decodes a fragment, with or without `#`, or a whole URL that ends in one.
 * Throws InvalidInputError whose message states whether the link is foreign,
 * truncated, damaged, from a newer version, or has invalid content.
 */
export function decodeShareLink(link: string): DecodedShareLink {
  const bytes = fragmentBytes(link);
  const { version, body } = openEnvelope(bytes);
  if (version > FORMAT_VERSION) {
    throw new InvalidInputError(
      `decoding share link: made by a newer version (format ${version}); this program reads format ${FORMAT_VERSION}, so open it in a newer version`,
    );
  }
  if (version < 1) {
    throw new InvalidInputError(
      `decoding share link: not a comparison link (unknown format ${version})`,
    );
  }
  const packed = inflateBody(body);
  try {
    const { comparison, names } = unpackComparison(packed);
    return { comparison, namesIncluded: names };
  } catch (error) {
    if (!(error instanceof ByteFormatError)) throw error;
    throw new InvalidInputError(
      `decoding share link: invalid content: ${error.message}`,
      { cause: error },
    );
  }
}

/** Returns the envelope bytes of a link; throws for foreign or unreadable text. */
function fragmentBytes(link: string): Uint8Array {
  const hash = link.indexOf('#');
  const fragment = hash >= 0 ? link.slice(hash + 1) : link;
  if (!fragment.startsWith(FRAGMENT_PREFIX)) {
    throw new InvalidInputError(
      `decoding share link: not a comparison link (fragment does not start with ${JSON.stringify(FRAGMENT_PREFIX)})`,
    );
  }
  if (fragment.length > MAX_FRAGMENT_CHARS) {
    throw new InvalidInputError(
      `decoding share link: ${fragment.length} characters, more than the ${MAX_FRAGMENT_CHARS} a link may have`,
    );
  }
  try {
    return fromBase64URL(fragment.slice(FRAGMENT_PREFIX.length));
  } catch (error) {
    throw new InvalidInputError(
      `decoding share link: damaged: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Checks length and checksum; returns the version byte and the body. */
function openEnvelope(bytes: Uint8Array): { version: number; body: Uint8Array } {
  const input = new ByteReader(bytes);
  let version: number;
  let body: Uint8Array;
  try {
    version = input.byte();
    const length = input.varint();
    body = input.take(length);
    input.take(CHECKSUM_BYTES);
  } catch (error) {
    if (!(error instanceof ByteFormatError)) throw error;
    const kind = error.truncated ? 'truncated' : 'damaged';
    throw new InvalidInputError(`decoding share link: ${kind}: ${error.message}`, {
      cause: error,
    });
  }
  if (input.remaining > 0) {
    throw new InvalidInputError(
      `decoding share link: damaged: ${input.remaining} bytes after the checksum`,
    );
  }
  const signed = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  const stored = new DataView(bytes.buffer, bytes.byteOffset).getUint32(signed.length);
  if (crc32(signed) !== stored) {
    throw new InvalidInputError('decoding share link: damaged: checksum mismatch');
  }
  return { version, body };
}

function inflateBody(body: Uint8Array): Uint8Array {
  let packed: Uint8Array;
  try {
    packed = inflateSync(body);
  } catch (error) {
    throw new InvalidInputError(
      `decoding share link: damaged: body does not inflate (${(error as Error).message})`,
      { cause: error },
    );
  }
  if (packed.length > MAX_BODY_BYTES) {
    throw new InvalidInputError(
      `decoding share link: invalid content: body inflates to ${packed.length} bytes, more than ${MAX_BODY_BYTES}`,
    );
  }
  return packed;
}
