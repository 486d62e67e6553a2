/**
 * The eStargz footer: an empty gzip member at the end of the blob whose
 * header extra field contains the offset of the TOC's gzip member.
 *
 * eStargz footer, 51 bytes (the estargz package's `FooterSize`):
 *   offset  size  field
 *   0       10    gzip header: 1f 8b 08, FLG=04 (FEXTRA), MTIME=0, XFL=0, OS=ff
 *   10      2     XLEN = 26, little-endian (4-byte subfield header + 22 bytes)
 *   12      2     subfield id SI1='S', SI2='G'
 *   14      2     subfield LEN = 22, little-endian
 *   16      22    "%016x" of the TOC offset (lowercase hex), then "STARGZ"
 *   38      5     deflate: one final stored block of length 0 (01 00 00 ff ff)
 *   43      8     gzip trailer: CRC-32 = 0, ISIZE = 0
 *
 * Legacy stargz footer, 47 bytes: the same without the subfield header, so
 * XLEN = 22 and the extra field is just "%016xSTARGZ".
 */

/** Size of the eStargz footer in bytes. */
export const FOOTER_SIZE_BYTES = 51;

/** Size of the legacy stargz footer in bytes. */
export const LEGACY_FOOTER_SIZE_BYTES = 47;

const MAGIC = 'STARGZ';
const EMPTY_STORED_BLOCK = [0x01, 0x00, 0x00, 0xff, 0xff];

/** Fields read from a footer. */
export interface Footer {
  tocOffset: number;
  footerSize: number;
  /** True for the 47-byte stargz footer. */
  legacy: boolean;
}

/** Returns the 51-byte footer that points at the TOC member at `tocOffset`. */
export function estargzFooter(tocOffset: number): Uint8Array {
  const footer = new Uint8Array(FOOTER_SIZE_BYTES);
  footer.set([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff], 0);
  footer.set([26, 0, 0x53, 0x47, 22, 0], 10);
  footer.set(asciiBytes(offsetText(tocOffset) + MAGIC), 16);
  footer.set(EMPTY_STORED_BLOCK, 38);
  // The trailer (CRC-32 and ISIZE of empty content) stays zero.
  return footer;
}

/**
 * Parses the end of a blob. `tail` is the blob's last bytes, at least 51 when
 * the blob is that long. Returns undefined when neither footer is there.
 */
export function parseFooter(tail: Uint8Array): Footer | undefined {
  if (tail.length >= FOOTER_SIZE_BYTES) {
    const footer = tail.subarray(tail.length - FOOTER_SIZE_BYTES);
    const tocOffset = parseExtra(footer, [26, 0, 0x53, 0x47, 22, 0], 16);
    if (tocOffset !== undefined) {
      return { tocOffset, footerSize: FOOTER_SIZE_BYTES, legacy: false };
    }
  }
  if (tail.length >= LEGACY_FOOTER_SIZE_BYTES) {
    const footer = tail.subarray(tail.length - LEGACY_FOOTER_SIZE_BYTES);
    const tocOffset = parseExtra(footer, [22, 0], 12);
    if (tocOffset !== undefined) {
      return { tocOffset, footerSize: LEGACY_FOOTER_SIZE_BYTES, legacy: true };
    }
  }
  return undefined;
}

/**
 * Checks the gzip header with FEXTRA, the bytes `expected` at offset 10 (XLEN
 * and any subfield header), then reads the offset text at `at`.
 */
function parseExtra(footer: Uint8Array, expected: number[], at: number): number | undefined {
  if (footer[0] !== 0x1f || footer[1] !== 0x8b || footer[2] !== 0x08) return undefined;
  if ((footer[3] & 0x04) === 0) return undefined;
  for (let i = 0; i < expected.length; i++) {
    if (footer[10 + i] !== expected[i]) return undefined;
  }
  const text = String.fromCharCode(...footer.subarray(at, at + 22));
  if (text.slice(16) !== MAGIC) return undefined;
  const hex = text.slice(0, 16);
  if (!/^[0-9a-fA-F]{16}$/.test(hex)) return undefined;
  const offset = Number.parseInt(hex, 16);
  return Number.isSafeInteger(offset) ? offset : undefined;
}

function offsetText(offset: number): string {
  return offset.toString(16).padStart(16, '0');
}

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}
