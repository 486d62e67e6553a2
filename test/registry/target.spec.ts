import { expect, test } from '@playwright/test';
import { InvalidInputError } from '../../lib/core/errors';
import {
  isLoopbackHost,
  parseReference,
  parseRegistryHost,
  parseRepository,
  parseTag,
  registryBaseURL,
} from '../../lib/registry/target';

test.describe('registry target', () => {
  test('should normalise registry hosts and keep ports', () => {
    expect(parseRegistryHost('Registry.Example.com')).toBe('registry.example.com');
    expect(parseRegistryHost('registry.example.com:443')).toBe('registry.example.com:443');
    expect(parseRegistryHost('127.1:5000')).toBe('127.0.0.1:5000');
    expect(parseRegistryHost('[::1]:5000')).toBe('[::1]:5000');
  });

  test('should reject hosts with paths, users or bad ports', () => {
    for (const value of ['', 'a/b', 'user@host', 'host:99999', 'host:', 'ho st', 'http://host']) {
      expect(() => parseRegistryHost(value), value).toThrow(InvalidInputError);
    }
  });

  test('should treat 127/8, localhost and [::1] as loopback', () => {
    expect(isLoopbackHost('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackHost('127.255.1.2')).toBe(true);
    expect(isLoopbackHost('localhost:80')).toBe(true);
    expect(isLoopbackHost('[::1]:5000')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
    expect(isLoopbackHost('[::2]')).toBe(false);
  });

  test('should use HTTPS unless loopback or insecure', () => {
    expect(registryBaseURL('registry.example.com').href).toBe('https://registry.example.com/');
    expect(registryBaseURL('registry.example.com:443').href).toBe('https://registry.example.com/');
    expect(registryBaseURL('127.0.0.1:443').href).toBe('http://127.0.0.1:443/');
    expect(registryBaseURL('localhost:5000').href).toBe('http://localhost:5000/');
    expect(registryBaseURL('registry.lan:5000', true).href).toBe('http://registry.lan:5000/');
  });

  test('should accept distribution-spec names and tags', () => {
    expect(parseRepository('team/app')).toBe('team/app');
    expect(parseRepository('a.b_c__d--e/f')).toBe('a.b_c__d--e/f');
    expect(parseTag('v1.2_3-rc')).toBe('v1.2_3-rc');
    expect(parseTag('x'.repeat(128))).toHaveLength(128);
    expect(parseReference(`sha256:${'a'.repeat(64)}`)).toMatch(/^sha256:/);
  });

  test('should reject invalid names and tags', () => {
    for (const name of ['', 'Team/app', 'team//app', '/app', 'app/', 'a..b', '-a']) {
      expect(() => parseRepository(name), name).toThrow(InvalidInputError);
    }
    for (const tag of ['', '.v1', '-v1', 'v1/2', 'x'.repeat(129)]) {
      expect(() => parseTag(tag), tag).toThrow(InvalidInputError);
    }
  });
});
