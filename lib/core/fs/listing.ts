/** Lines in the form `tar -tv` prints, for the command line and the file list. */
import type { TarEntry } from '../tar/entry';

const TYPE_LETTERS: Record<TarEntry['type'], string> = {
  file: '-',
  hardlink: 'h',
  symlink: 'l',
  char: 'c',
  block: 'b',
  dir: 'd',
  fifo: 'p',
};

/** Returns the `drwxr-xr-x` form of an entry's type and mode, with setuid, setgid and sticky bits. */
export function modeString(entry: Pick<TarEntry, 'type' | 'mode'>): string {
  const { mode } = entry;
  const bit = (mask: number, letter: string) => (mode & mask ? letter : '-');
  const special = (exec: number, flag: number, set: string, unset: string) =>
    mode & flag ? (mode & exec ? set : unset) : mode & exec ? 'x' : '-';
  return (
    TYPE_LETTERS[entry.type] +
    bit(0o400, 'r') + bit(0o200, 'w') + special(0o100, 0o4000, 's', 'S') +
    bit(0o040, 'r') + bit(0o020, 'w') + special(0o010, 0o2000, 's', 'S') +
    bit(0o004, 'r') + bit(0o002, 'w') + special(0o001, 0o1000, 't', 'T')
  );
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** Returns `YYYY-MM-DD HH:MM` in UTC for seconds since the epoch. */
export function formatMtime(seconds: number): string {
  const date = new Date(Math.floor(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return String(seconds);
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}

/** Returns one `tar -tv` style line for an entry. */
export function listingLine(entry: TarEntry): string {
  const owner = `${entry.uname || entry.uid}/${entry.gname || entry.gid}`;
  const size =
    entry.type === 'char' || entry.type === 'block'
      ? `${entry.devmajor ?? 0},${entry.devminor ?? 0}`
      : String(entry.size);
  let line = `${modeString(entry)} ${owner} ${size.padStart(9)} ${formatMtime(entry.mtime)} ${entry.path}`;
  if (entry.type === 'symlink') line += ` -> ${entry.linkname ?? ''}`;
  if (entry.type === 'hardlink') line += ` link to ${entry.linkname ?? ''}`;
  return line;
}
