/**
 * Saves a stream of bytes as a file. Where the File System Access API has
 * `showSaveFilePicker` (Chromium), the bytes go to disk piece by piece
 * through a FileSystemWritableFileStream. Elsewhere they are gathered into a
 * Blob and saved through a download link. The Blob is built from the pieces
 * as they are, folded into a new Blob every FOLD_BYTES, so the pieces are
 * never copied into one large array and the browser may keep the Blob on
 * disk.
 */

/** Bytes gathered before they are folded into the Blob: 16 MiB. */
const FOLD_BYTES = 16 << 20;

/** Milliseconds a download link's object URL stays valid after the click. */
const REVOKE_AFTER_MS = 60_000;

/** Method a file was saved by. */
export type SaveMethod = 'file-picker' | 'download-link';

export interface SaveOptions {
  /** MIME type of the file; `application/octet-stream` by default. */
  type?: string;
  signal?: AbortSignal;
  /** Called after each piece with the bytes saved so far. */
  onProgress?: (bytesSaved: number) => void;
}

interface WritableFile {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason?: unknown): Promise<void>;
}

interface SaveFilePicker {
  (options: { suggestedName: string }): Promise<{ createWritable(): Promise<WritableFile> }>;
}

function filePicker(): SaveFilePicker | undefined {
  const picker = (globalThis as { showSaveFilePicker?: SaveFilePicker }).showSaveFilePicker;
  return typeof picker === 'function' ? picker.bind(globalThis) : undefined;
}

/**
 * Saves the bytes of `open()` as `fileName`. Call it straight from a click
 * handler: the file picker needs the click's user activation, so it is the
 * first thing this function awaits. Rejects with an AbortError when the user
 * closes the picker or `signal` aborts; a partly written file is discarded.
 */
export async function saveStream(
  fileName: string,
  open: (signal?: AbortSignal) => AsyncIterable<Uint8Array>,
  options: SaveOptions = {},
): Promise<SaveMethod> {
  const picker = filePicker();
  if (picker) {
    const handle = await picker({ suggestedName: fileName });
    await writeToFile(await handle.createWritable(), open(options.signal), options);
    return 'file-picker';
  }
  const blob = await gatherBlob(open(options.signal), options);
  clickDownloadLink(blob, fileName);
  return 'download-link';
}

async function writeToFile(
  file: WritableFile,
  pieces: AsyncIterable<Uint8Array>,
  options: SaveOptions,
): Promise<void> {
  let saved = 0;
  try {
    for await (const piece of pieces) {
      options.signal?.throwIfAborted();
      await file.write(piece);
      saved += piece.length;
      options.onProgress?.(saved);
    }
  } catch (error) {
    await file.abort(error).catch(() => undefined);
    throw error;
  }
  await file.close();
}

/** Returns a Blob of the pieces, which it keeps by reference, never concatenated. */
export async function gatherBlob(
  pieces: AsyncIterable<Uint8Array>,
  options: SaveOptions = {},
): Promise<Blob> {
  const type = options.type ?? 'application/octet-stream';
  let blob = new Blob([], { type });
  let parts: BlobPart[] = [];
  let partBytes = 0;
  let saved = 0;
  for await (const piece of pieces) {
    options.signal?.throwIfAborted();
    parts.push(piece as Uint8Array<ArrayBuffer>);
    partBytes += piece.length;
    saved += piece.length;
    options.onProgress?.(saved);
    if (partBytes >= FOLD_BYTES) {
      blob = new Blob([blob, ...parts], { type });
      parts = [];
      partBytes = 0;
    }
  }
  return new Blob([blob, ...parts], { type });
}

function clickDownloadLink(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}
