import { expect, test } from '@playwright/test';
import { withStoreLock, type StoreLockMode } from '../../lib/store/store-lock';

/** A lock holder that runs until the test calls `release`. */
interface Holder {
  /** Resolves once the holder has the lock. */
  acquired: Promise<void>;
  /** Resolves with the holder's result once it released the lock. */
  done: Promise<string>;
  release(): void;
  isHeld(): boolean;
}

function hold(mode: StoreLockMode, name: string, signal?: AbortSignal): Holder {
  let held = false;
  let release!: () => void;
  const released = new Promise<void>((done) => (release = done));
  let acquire!: () => void;
  const acquired = new Promise<void>((done) => (acquire = done));
  const done = withStoreLock(
    mode,
    async () => {
      held = true;
      acquire();
      await released;
      held = false;
      return mode;
    },
    { name, signal },
  );
  return { acquired, done, release, isHeld: () => held };
}

/** Lets queued promise callbacks and timers run. */
function settle(): Promise<void> {
  return new Promise((done) => setTimeout(done, 20));
}

test.describe('withStoreLock (in-process)', () => {
  test('should let shared holders run together', async () => {
    const a = hold('shared', 'shared-together');
    const b = hold('shared', 'shared-together');
    await Promise.all([a.acquired, b.acquired]);
    expect(a.isHeld()).toBe(true);
    expect(b.isHeld()).toBe(true);
    a.release();
    b.release();
    expect(await Promise.all([a.done, b.done])).toEqual(['shared', 'shared']);
  });

  test('should make an exclusive request wait for shared holders', async () => {
    const reader = hold('shared', 'exclusive-waits');
    await reader.acquired;
    const writer = hold('exclusive', 'exclusive-waits');
    await settle();
    expect(writer.isHeld()).toBe(false);
    reader.release();
    await writer.acquired;
    expect(writer.isHeld()).toBe(true);
    writer.release();
    await writer.done;
  });

  test('should queue a shared request behind a waiting exclusive one', async () => {
    const first = hold('shared', 'fifo');
    await first.acquired;
    const writer = hold('exclusive', 'fifo');
    const late = hold('shared', 'fifo');
    await settle();
    expect(writer.isHeld()).toBe(false);
    expect(late.isHeld()).toBe(false);

    first.release();
    await writer.acquired;
    await settle();
    expect(late.isHeld()).toBe(false);
    writer.release();
    await late.acquired;
    late.release();
    await late.done;
  });

  test('should reject a waiting request with AbortError and grant the next', async () => {
    const reader = hold('shared', 'abort');
    await reader.acquired;
    const controller = new AbortController();
    const aborted = hold('exclusive', 'abort', controller.signal);
    const next = hold('shared', 'abort');
    await settle();
    expect(next.isHeld()).toBe(false);

    controller.abort(new Error('not an AbortError'));
    await expect(aborted.done).rejects.toMatchObject({ name: 'AbortError' });
    await expect(aborted.done).rejects.toBeInstanceOf(DOMException);
    // The shared request no longer waits behind the aborted exclusive one.
    await next.acquired;
    expect(reader.isHeld()).toBe(true);
    reader.release();
    next.release();
    await Promise.all([reader.done, next.done]);
  });

  test('should reject at once for a signal aborted before the call', async () => {
    let ran = false;
    const call = withStoreLock('shared', async () => (ran = true), {
      name: 'aborted-first',
      signal: AbortSignal.abort(),
    });
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(ran).toBe(false);
  });

  test('should release the lock when the function throws', async () => {
    const failing = withStoreLock('exclusive', async () => {
      throw new Error('ingest failed');
    }, { name: 'throws' });
    await expect(failing).rejects.toThrow('ingest failed');
    const after = hold('exclusive', 'throws');
    await after.acquired;
    after.release();
    await after.done;
  });

  test('should keep locks of different names apart', async () => {
    const a = hold('exclusive', 'name-a');
    const b = hold('exclusive', 'name-b');
    await Promise.all([a.acquired, b.acquired]);
    a.release();
    b.release();
    await Promise.all([a.done, b.done]);
  });
});
