/**
 * Text fields of tar headers: NUL-terminated byte strings, names that may not
 * be UTF-8, and base64 for the raw bytes that TarEntry keeps beside them.
 */

import { InvalidInputError } from '../errors';

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** Returns `bytes` up to the first NUL, as a subarray. */
export function untilNUL(bytes: Uint8Array): Uint8Array {
  const end = bytes.indexOf(0);
  return end < 0 ? bytes : bytes.subarray(0, end);
}

/** Text decoded from bytes, with the raw bytes in base64 when they are not UTF-8. */
export interface DecodedText {
  text: string;
  raw?: string;
}

/**
 * Decodes UTF-8. Bytes that are not part of a valid sequence become `\xNN`
 * escapes in `text`, and `raw` then contains all the bytes in base64.
 */
export function decodeText(bytes: Uint8Array): DecodedText {
  try {
    return { text: strictDecoder.decode(bytes) };
  } catch {
    return { text: escapeInvalidUTF8(bytes), raw: encodeBase64(bytes) };
  }
}

function escapeInvalidUTF8(bytes: Uint8Array): string {
  let text = '';
  for (let at = 0; at < bytes.length; ) {
    const length = validSequenceLength(bytes, at);
    if (length === 0) {
      text += `\\x${bytes[at].toString(16).padStart(2, '0')}`;
      at += 1;
    } else {
      text += strictDecoder.decode(bytes.subarray(at, at + length));
      at += length;
    }
  }
  return text;
}

/**
 * Returns the length of the valid UTF-8 sequence at `at`, or 0 when the byte
 * there does not start one. Rejects overlong forms, surrogates and code points
 * above U+10FFFF, as RFC 3629 §4 does.
 */
function validSequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at];
  if (lead < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (at + length > bytes.length) return 0;
  const second = bytes[at + 1];
  if (second < low || second > high) return 0;
  for (let i = 2; i < length; i++) {
    const next = bytes[at + i];
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}

const BASE64_ALPHABET =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Returns the standard base64 (RFC 4648 §4, with padding) of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let at = 0; at < bytes.length; at += 3) {
    const a = bytes[at];
    const b = at + 1 < bytes.length ? bytes[at + 1] : 0;
    const c = at + 2 < bytes.length ? bytes[at + 2] : 0;
    const triple = (a << 16) | (b << 8) | c;
    out += BASE64_ALPHABET[(triple >> 18) & 63];
    out += BASE64_ALPHABET[(triple >> 12) & 63];
    out += at + 1 < bytes.length ? BASE64_ALPHABET[(triple >> 6) & 63] : '=';
    out += at + 2 < bytes.length ? BASE64_ALPHABET[triple & 63] : '=';
  }
  return out;
}

/** Returns the bytes of standard base64 text; throws on characters outside the alphabet. */
export function decodeBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of clean) {
    const digit = BASE64_ALPHABET.indexOf(char);
    if (digit < 0) {
      throw new InvalidInputError(`decodeBase64: invalid character ${JSON.stringify(char)}`);
    }
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, at);
}
