/** Optional logger that core functions take; silent unless the caller passes one. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** A logger that discards everything. */
export const SILENT_LOGGER: Logger = {
  debug() {},
  info() {},
  warn() {},
};
