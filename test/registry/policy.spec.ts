import { expect, test } from '@playwright/test';
import { checkSameOrigin, isAllowedURL } from '../../app/api/registry/_lib/policy';
import { RouteError } from '../../app/api/registry/_lib/request';

const KEY = 'CHUNKED_CONTAINERS_ALLOWED_REGISTRIES';

test.describe('registry route policy', () => {
  test('should allow only loopback registries by default', () => {
    const env = {};
    expect(isAllowedURL(new URL('http://127.0.0.1:5000/v2/'), env)).toBe(true);
    expect(isAllowedURL(new URL('http://127.9.9.9/v2/'), env)).toBe(true);
    expect(isAllowedURL(new URL('http://localhost:1/v2/'), env)).toBe(true);
    expect(isAllowedURL(new URL('http://[::1]:5000/v2/'), env)).toBe(true);
    expect(isAllowedURL(new URL('https://registry.example.com/v2/'), env)).toBe(false);
    expect(isAllowedURL(new URL('http://169.254.169.254/'), env)).toBe(false);
  });

  test('should match host and port patterns', () => {
    const env = { [KEY]: 'registry.example.com, mirror.example.com:5000,*.corp.example,any.example:*' };
    const allowed = (url: string) => isAllowedURL(new URL(url), env);

    expect(allowed('https://registry.example.com/v2/')).toBe(true);
    expect(allowed('https://REGISTRY.example.com:443/v2/')).toBe(true);
    expect(allowed('https://registry.example.com:5000/v2/')).toBe(false);
    expect(allowed('https://mirror.example.com:5000/v2/')).toBe(true);
    expect(allowed('https://mirror.example.com/v2/')).toBe(false);
    expect(allowed('https://a.corp.example/v2/')).toBe(true);
    expect(allowed('https://a.b.corp.example/v2/')).toBe(true);
    expect(allowed('https://corp.example/v2/')).toBe(false);
    expect(allowed('https://evilcorp.example/v2/')).toBe(false);
    expect(allowed('https://any.example:8443/v2/')).toBe(true);
    expect(allowed('http://127.0.0.1:5000/v2/')).toBe(false);
  });

  test('should allow nothing when the list is empty', () => {
    expect(isAllowedURL(new URL('http://127.0.0.1:5000/'), { [KEY]: '' })).toBe(false);
  });

  test('should accept same-origin requests only', () => {
    const request = (headers: Record<string, string>) =>
      new Request('http://127.0.0.1:3107/api/registry/upload-start', { method: 'POST', headers });
    const code = (headers: Record<string, string>, env = {}) => {
      try {
        checkSameOrigin(request(headers), env);
        return 'ok';
      } catch (error) {
        expect(error).toBeInstanceOf(RouteError);
        return `${(error as RouteError).status} ${(error as RouteError).code}`;
      }
    };

    expect(code({ origin: 'http://127.0.0.1:3107', 'sec-fetch-site': 'same-origin' })).toBe('ok');
    expect(code({ 'sec-fetch-site': 'same-origin' })).toBe('ok');
    expect(code({ origin: 'http://127.0.0.1:3107' })).toBe('ok');
    expect(code({ origin: 'http://127.0.0.1:9999' })).toBe('403 CROSS_ORIGIN');
    expect(code({ 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:3107' })).toBe('403 CROSS_ORIGIN');
    expect(code({ 'sec-fetch-site': 'none' })).toBe('403 CROSS_ORIGIN');
    expect(code({})).toBe('403 ORIGIN_MISSING');
    const behindProxy = { CHUNKED_CONTAINERS_APP_ORIGIN: 'https://app.example' };
    expect(code({ origin: 'https://app.example' }, behindProxy)).toBe('ok');
    expect(code({ origin: 'http://127.0.0.1:3107' }, behindProxy)).toBe('403 CROSS_ORIGIN');
  });
});
