/**
 * Tar entry metadata as read from ustar, PAX and GNU headers, and the events a
 * streaming tar parser emits. Offsets count bytes of the uncompressed stream.
 */

/** Entry kinds, by ustar typeflag. */
export type TarEntryType =
  | 'file' // '0' or NUL, and '7' (contiguous file)
  | 'hardlink' // '1'
  | 'symlink' // '2'
  | 'char' // '3'
  | 'block' // '4'
  | 'dir' // '5'
  | 'fifo'; // '6'

/** Metadata of one tar entry and where its bytes sit in the stream. */
export interface TarEntry {
  /**
   * Path as stored, with PAX `path` and GNU long names applied. Bytes that are
   * not UTF-8 appear as `\xNN` escapes; `rawPath` then holds the original.
   */
  path: string;
  /** Base64 of the path bytes, present only when they are not valid UTF-8. */
  rawPath?: string;
  type: TarEntryType;
  /** The typeflag character as written in the header. */
  typeflag: string;
  /** Permission and mode bits, without the file type bits. */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Modification time in seconds since the epoch; PAX may give a fraction. */
  mtime: number;
  /** Content size in bytes; 0 for links, directories and devices. */
  size: number;
  /** Link target of a symlink or hard link. */
  linkname?: string;
  /** Base64 of the link target bytes, present only when they are not valid UTF-8. */
  rawLinkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes from `SCHILY.xattr.*` PAX records; values in base64. */
  xattrs?: Record<string, string>;
  /** Every PAX record that applied to this entry, global ones included. */
  pax?: Record<string, string>;
  /** Whiteout marker: `.wh.NAME` deletes NAME, `.wh..wh..opq` hides a directory's lower contents. */
  whiteout?: 'file' | 'opaque';
  /** Offset of the entry's first header block, long-name and PAX blocks included. */
  headerOffset: number;
  /** Offset of the content, right after the last header block. */
  dataOffset: number;
}

/** One event of a streaming tar parse, in stream order. */
export type TarEvent =
  /** An entry's headers are complete; its content events follow. */
  | { type: 'entry'; entry: TarEntry }
  /** A slice of the current entry's content, at `offset` in the stream. */
  | { type: 'data'; offset: number; bytes: Uint8Array }
  /** The stream ended, at `offset`, after the last entry's content and padding. */
  | { type: 'end'; offset: number };
