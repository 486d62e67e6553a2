/** Human-readable sizes, rates and durations for the UI and the command line. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Returns a size such as `1.5 MiB`; bytes below 1 KiB print exactly. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

/** Returns a rate in MB/s (10^6 bytes per second), as throughput is usually quoted. */
export function formatRate(bytes: number, seconds: number): string {
  if (seconds <= 0) return '– MB/s';
  return `${(bytes / 1e6 / seconds).toFixed(1)} MB/s`;
}

/** Returns a duration such as `4.2 s` or `3 min 5 s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** Returns the first 12 hex digits of a digest, as `docker images` shows ids. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
