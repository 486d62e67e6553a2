/**
 * Browser storage quota: the usage estimate for the UI, the request for
 * persistent storage, and the error a full quota turns into.
 */

/** Bytes this origin uses and may use, as the browser estimates them. */
export interface StorageEstimate {
  usage: number;
  quota: number;
}

/**
 * Returns the browser's estimate of this origin's storage usage and quota, or
 * undefined where `navigator.storage.estimate` is missing (Node, old browsers).
 * Browsers round or pad the figures, so treat them as estimates.
 */
export async function storageEstimate(): Promise<StorageEstimate | undefined> {
  const storage = storageManager();
  if (!storage?.estimate) return undefined;
  const { usage, quota } = await storage.estimate();
  if (usage === undefined || quota === undefined) return undefined;
  return { usage, quota };
}

/**
 * Asks the browser to keep this origin's storage under storage pressure
 * instead of evicting it; returns true when storage is persistent. Browsers
 * may refuse without asking the user. `persist` exists on the main thread
 * only, so inside a worker this returns whether storage is already persistent.
 */
export async function requestPersistentStorage(): Promise<boolean> {
  const storage = storageManager();
  if (!storage) return false;
  if (storage.persisted && (await storage.persisted())) return true;
  if (!storage.persist) return false;
  return storage.persist();
}

function storageManager(): StorageManager | undefined {
  if (typeof navigator === 'undefined') return undefined;
  return navigator.storage ?? undefined;
}

/** Returns true for the DOMException that a full storage quota raises. */
export function isQuotaExceeded(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'QuotaExceededError'
  );
}

export interface QuotaFacts {
  /** Step that failed, such as "storing 64 chunks (4194304 bytes)". */
  step: string;
  /** Bytes of chunks the store held before the failed write, if known. */
  storedBytes?: number;
  estimate?: StorageEstimate;
  cause: unknown;
}

/**
 * A write that failed because the origin's storage quota is used up. It keeps
 * the DOMException's name, so checks for 'QuotaExceededError' still match.
 */
export class QuotaExceededError extends Error {
  override name = 'QuotaExceededError';
  readonly code = 'QUOTA_EXCEEDED';
  readonly storedBytes: number | undefined;
  readonly usage: number | undefined;
  readonly quota: number | undefined;

  constructor(facts: QuotaFacts) {
    super(quotaMessage(facts), { cause: facts.cause });
    this.storedBytes = facts.storedBytes;
    this.usage = facts.estimate?.usage;
    this.quota = facts.estimate?.quota;
  }
}

function quotaMessage(facts: QuotaFacts): string {
  const usage = facts.estimate
    ? `${facts.estimate.usage} of ${facts.estimate.quota} bytes of the quota in use`
    : 'usage and quota unknown';
  const stored =
    facts.storedBytes === undefined
      ? ''
      : `, the chunk store holds ${facts.storedBytes} bytes of chunks`;
  return `${facts.step}: storage quota exceeded, ${usage}${stored}; delete images or free disk space`;
}
