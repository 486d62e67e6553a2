/**
 * Assertions for test code that also runs inside a browser page, where
 * Playwright's `expect` is not available. Each one throws an Error whose
 * message reads "<what>: got <actual>, want <expected>".
 */

/** Throws an Error with `message` unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Throws unless `actual` and `expected` are the same value (Object.is). */
export function checkEqual<T>(actual: T, expected: T, what: string): void {
  if (!Object.is(actual, expected)) {
    throw new Error(`${what}: got ${show(actual)}, want ${show(expected)}`);
  }
}

/**
 * Throws unless the two values have the same structure. Object keys whose
 * value is undefined count as absent, as they are after a JSON round trip.
 */
export function checkDeepEqual(actual: unknown, expected: unknown, what: string): void {
  const difference = findDifference(actual, expected, '');
  if (difference !== undefined) {
    throw new Error(`${what}: differs at ${difference || 'the top level'}: got ${show(
      valueAt(actual, difference),
    )}, want ${show(valueAt(expected, difference))}`);
  }
}

/** Throws unless `actual` is a Uint8Array holding exactly `expected`'s bytes. */
export function checkBytes(actual: unknown, expected: Uint8Array, what: string): void {
  check(actual instanceof Uint8Array, `${what}: got ${show(actual)}, want a Uint8Array`);
  checkEqual(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new Error(`${what}: byte ${i} is ${actual[i]}, want ${expected[i]}`);
    }
  }
}

export interface ExpectedError {
  /** Class the error must be an instance of. */
  type?: abstract new (...args: never[]) => Error;
  name?: string;
  code?: string;
  /** Text the message must contain. */
  message?: string;
}

/** Awaits `promise`, throws unless it rejects as `expected` describes, returns the error. */
export async function checkRejects(
  promise: Promise<unknown>,
  expected: ExpectedError,
  what: string,
): Promise<Error> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  check(
    error instanceof Error || error instanceof DOMException,
    `${what}: resolved or threw ${show(error)}, want an error`,
  );
  const thrown = error as Error & { code?: unknown };
  if (expected.type) {
    check(
      thrown instanceof expected.type,
      `${what}: threw ${show(thrown)}, want ${expected.type.name}`,
    );
  }
  if (expected.name) checkEqual(thrown.name, expected.name, `${what}: error name`);
  if (expected.code) checkEqual(thrown.code, expected.code, `${what}: error code`);
  if (expected.message) {
    check(
      thrown.message.includes(expected.message),
      `${what}: message ${show(thrown.message)} lacks ${show(expected.message)}`,
    );
  }
  return thrown;
}

function findDifference(actual: unknown, expected: unknown, path: string): string | undefined {
  if (Object.is(actual, expected)) return undefined;
  if (actual instanceof Uint8Array || expected instanceof Uint8Array) {
    return sameBytes(actual, expected) ? undefined : path;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return path;
    for (let i = 0; i < expected.length; i++) {
      const inner = findDifference(actual[i], expected[i], `${path}[${i}]`);
      if (inner !== undefined) return inner;
    }
    return undefined;
  }
  if (!isPlainObject(actual) || !isPlainObject(expected)) return path;
  const keys = new Set([...definedKeys(actual), ...definedKeys(expected)]);
  for (const key of keys) {
    const inner = findDifference(actual[key], expected[key], `${path}.${key}`);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function sameBytes(actual: unknown, expected: unknown): boolean {
  if (!(actual instanceof Uint8Array) || !(expected instanceof Uint8Array)) return false;
  if (actual.length !== expected.length) return false;
  return actual.every((byte, i) => byte === expected[i]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function definedKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).filter((key) => value[key] !== undefined);
}

function valueAt(value: unknown, path: string): unknown {
  const steps = path.match(/\.[^.[]+|\[\d+\]/g) ?? [];
  let at = value;
  for (const step of steps) {
    if (typeof at !== 'object' || at === null) return at;
    const key = step.startsWith('[') ? Number(step.slice(1, -1)) : step.slice(1);
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
