import { expect, test } from '@playwright/test';
import { RegistryError, isUploadLost, parseDiagnostics, redactPath } from '../../lib/registry/errors';
import { DEFAULT_RETRY_POLICY, backoffDelay, parseRetryAfter, sleep } from '../../lib/registry/retry';

test.describe('parseRetryAfter', () => {
  test('should read seconds and HTTP dates', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  test('should back off exponentially within the bounds', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const { baseDelayMs, maxDelayMs } = DEFAULT_RETRY_POLICY;
      const full = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      const delay = backoffDelay(DEFAULT_RETRY_POLICY, attempt);
      expect(delay, `attempt ${attempt}`).toBeGreaterThanOrEqual(full / 2);
      expect(delay, `attempt ${attempt}`).toBeLessThanOrEqual(full);
    }
    expect(backoffDelay(DEFAULT_RETRY_POLICY, 1, 1234)).toBe(1234);
  });

  test('should abort a sleep with AbortError', async () => {
    const controller = new AbortController();
    const sleeping = sleep(10_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ name: 'AbortError' });
  });
});

test.describe('RegistryError', () => {
  test('should carry the registry code and message', () => {
    const diagnostics = parseDiagnostics(
      JSON.stringify({
        errors: [
          { code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: 'sha256:abc' },
        ],
      }),
    );
    const error = new RegistryError({
      step: 'putting manifest v1',
      status: 400,
      method: 'PUT',
      path: redactPath('https://user:secret@r.example/v2/app/manifests/v1?_state=abc#x'),
      diagnostics,
    });

    expect(error.path).toBe('/v2/app/manifests/v1');
    expect(error.code).toBe('MANIFEST_BLOB_UNKNOWN');
    expect(error.temporary).toBe(false);
    expect(error.message).toBe(
      'putting manifest v1: PUT /v2/app/manifests/v1 returned 400: ' +
        'MANIFEST_BLOB_UNKNOWN: blob unknown to registry (sha256:abc)',
    );
    expect(error.afterAttempts(3).message).toMatch(/\(after 3 attempts\)$/);
  });

  test('should name statuses without a JSON body', () => {
    const make = (status: number) => new RegistryError({ step: 's', status, method: 'GET', path: '/v2/' });
    expect(make(503).code).toBe('UNAVAILABLE');
    expect(make(503).temporary).toBe(true);
    expect(make(429).temporary).toBe(true);
    expect(make(0).code).toBe('CONNECTION_FAILED');
    expect(make(501).temporary).toBe(false);
    expect(make(404).code).toBe('NOT_FOUND');
    expect(parseDiagnostics('<html>')).toEqual([]);
  });

  test('should recognise lost uploads', () => {
    const lost = new RegistryError({
      step: 's',
      status: 404,
      method: 'PATCH',
      path: '/v2/a/blobs/uploads/x',
      diagnostics: [{ code: 'BLOB_UPLOAD_UNKNOWN', message: '' }],
    });
    expect(isUploadLost(lost)).toBe(true);
    expect(isUploadLost(new Error('BLOB_UPLOAD_UNKNOWN'))).toBe(false);
  });
});
