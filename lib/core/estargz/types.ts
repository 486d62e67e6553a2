/**
 * eStargz table of contents (TOC) and constants. The JSON keys, the entry
 * types and the annotation keys are the wire format of the stargz-snapshotter
 * `estargz` package (`JTOC` and `TOCEntry` in its types.go, checked against
 * version 0.12.0), so they keep that package's spelling.
 */

/** Name of the tar entry that contains the TOC JSON, the last entry of the layer. */
export const TOC_TAR_NAME = 'stargz.index.json';

/** Version written in the TOC's `version` field. */
export const TOC_VERSION = 1;

/** Entry that marks the end of the prioritized files. */
export const PREFETCH_LANDMARK = '.prefetch.landmark';

/** Entry that marks a layer with no prioritized files. */
export const NO_PREFETCH_LANDMARK = '.no.prefetch.landmark';

/** The one content byte of either landmark entry. */
export const LANDMARK_CONTENT = 0x0f;

/** Default largest chunk of a regular file's content per gzip member: 4 MiB. */
export const DEFAULT_CHUNK_SIZE_4MIB = 4 << 20;

/** Layer annotation with the TOC digest (valid in a manifest's `layers[].annotations`). */
export const TOC_DIGEST_ANNOTATION = 'containerd.io/snapshot/stargz/toc.digest';

/** Layer annotation with the uncompressed layer size, in decimal, for containers/storage. */
export const UNCOMPRESSED_SIZE_ANNOTATION = 'io.containers.estargz.uncompressed-size';

/** Entry types of a TOC; `chunk` is a regular file's second and later chunks. */
export type TOCEntryType =
  | 'dir'
  | 'reg'
  | 'symlink'
  | 'hardlink'
  | 'char'
  | 'block'
  | 'fifo'
  | 'chunk';

/**
 * One TOC entry. Fields that are zero or empty are left out of the JSON, as
 * Go's `omitempty` does. The estargz package also has `NumLink`, but it is
 * computed when a TOC is read and never appears in the JSON.
 */
export interface TOCEntry {
  /** Path as stored in the tar entry, not cleaned (`./a`, `bin/` stay as they are). */
  name: string;
  type: TOCEntryType;
  /** Logical size of a regular file, in bytes. */
  size?: number;
  /** Modification time in UTC RFC 3339, rounded to the second; absent when 0. */
  modtime?: string;
  /** Target of a symlink or hard link. */
  linkName?: string;
  /** Permission and mode bits as in the tar header. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Owner name; present only on the first entry, in TOC order, with a new name for its uid. */
  userName?: string;
  /** Group name; present only on the first entry, in TOC order, with a new name for its gid. */
  groupName?: string;
  /** Offset in the blob of the gzip member where this entry's (chunk's) content starts. */
  offset?: number;
  devMajor?: number;
  devMinor?: number;
  /** Extended attributes; values are base64 in the JSON, as Go encodes `[]byte`. */
  xattrs?: Record<string, string>;
  /** `sha256:<hex>` of a regular file's whole content. */
  digest?: string;
  /** Offset of this chunk in the file's content; absent for the first chunk. */
  chunkOffset?: number;
  /** Size of this chunk; absent (0) means "to the end of the file". */
  chunkSize?: number;
  /** `sha256:<hex>` of this chunk's uncompressed bytes. */
  chunkDigest?: string;
}

/** The TOC JSON document (`JTOC` in the estargz package). */
export interface TOC {
  version: number;
  entries: TOCEntry[];
}
