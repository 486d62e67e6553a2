/**
 * PAX extended header records (POSIX.1-2001, pax "Extended Header"): each is
 * `"<length> <key>=<value>\n"`, where the decimal length counts the bytes of
 * the whole record, itself and the newline included. Values are bytes, in
 * UTF-8 except for binary ones such as `SCHILY.xattr.*` values.
 */
import { InvalidTarError } from '../errors';
import { fromUTF8 } from '../bytes';

/** Record values by key, in record order. A later record of the same key wins. */
export type PaxRecords = Map<string, Uint8Array>;

const SPACE = 0x20;
const EQUALS = 0x3d;
const NEWLINE = 0x0a;

/**
 * Parses the records in the content of a PAX header. `offset` is where that
 * content starts in the stream, so that errors name the record's offset.
 */
export function parsePaxRecords(
  data: Uint8Array,
  offset: number,
  name: string,
): PaxRecords {
  const records: PaxRecords = new Map();
  let at = 0;
  while (at < data.length) {
    // Some writers pad the content with NULs after the last record.
    if (data[at] === 0) break;
    const length = readRecordLength(data, at);
    const end = at + length;
    const fail = (fact: string) =>
      new InvalidTarError(
        `reading ${name}: ${fact} in the pax record at offset ${offset + at}`,
        offset + at,
      );
    if (length === 0 || end > data.length) throw fail('invalid record length');
    if (data[end - 1] !== NEWLINE) throw fail('missing newline');
    const space = data.indexOf(SPACE, at);
    const equals = data.indexOf(EQUALS, space + 1);
    if (equals < 0 || equals >= end - 1 || equals === space + 1) {
      throw fail('missing key');
    }
    const key = fromUTF8(data.subarray(space + 1, equals));
    records.set(key, data.subarray(equals + 1, end - 1));
    at = end;
  }
  return records;
}

/** Returns the decimal length that starts a record, or 0 when it is malformed. */
function readRecordLength(data: Uint8Array, at: number): number {
  let length = 0;
  let i = at;
  while (i < data.length && data[i] >= 0x30 && data[i] <= 0x39) {
    length = length * 10 + (data[i] - 0x30);
    if (length > data.length) return 0;
    i++;
  }
  if (i === at || i >= data.length || data[i] !== SPACE) return 0;
  // The length covers the digits and the space, so it must reach past them.
  return length > i - at + 1 ? length : 0;
}

/**
 * Applies the records of a global header to the running global set. An empty
 * value deletes the key, as the pax format specifies for global records.
 */
export function mergeGlobalRecords(global: PaxRecords, records: PaxRecords): void {
  for (const [key, value] of records) {
    if (value.length === 0) global.delete(key);
    else global.set(key, value);
  }
}

/**
 * Returns the records that apply to one entry: the global ones overridden by
 * its own. A local key with an empty value cancels the key for this entry, so
 * that the header block's field applies.
 */
export function effectiveRecords(global: PaxRecords, local: PaxRecords): PaxRecords {
  const merged: PaxRecords = new Map(global);
  for (const [key, value] of local) {
    if (value.length === 0) merged.delete(key);
    else merged.set(key, value);
  }
  return merged;
}

/** Parses a non-negative decimal integer record value, or returns undefined. */
export function parsePaxInteger(value: string): number | undefined {
  if (!/^[0-9]+$/.test(value)) return undefined;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : undefined;
}

/** Parses a time record value (seconds, optional sign and fraction), or returns undefined. */
export function parsePaxTime(value: string): number | undefined {
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(value)) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
