/** Opening the files that the commands name, with errors that name the file. */
import { stat } from 'node:fs/promises';
import { InvalidInputError } from '../core/errors';
import { openFileSource } from '../node/file-source';
import type { FileSource } from '../node/file-source';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a folder on the path is a file',
};

/**
 * Opens the image archive at `path` for reading. Throws InvalidInputError
 * naming the path when it is missing, unreadable, a folder or not a
 * regular file.
 */
export async function openArchiveFile(path: string): Promise<FileSource> {
  const where = `opening ${path}`;
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new InvalidInputError(`${where}: is a folder, expected an image archive file`);
    }
    // Archives are read by offset, and opening a FIFO would wait for a writer forever.
    if (!info.isFile()) {
      throw new InvalidInputError(
        `${where}: is not a regular file (a pipe, device or socket); save the archive to a file first`,
      );
    }
    return await openFileSource(path);
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    const code = (error as { code?: string }).code ?? '';
    const reason = REASONS[code] ?? (error as Error).message;
    throw new InvalidInputError(`${where}: ${reason}`, { cause: error });
  }
}
