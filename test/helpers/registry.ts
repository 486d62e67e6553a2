/**
 * Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 on a free
 * port with a temporary data directory. Auth is one of three modes: none,
 * htpasswd, or token auth against the token server in `token-server.ts`.
 * The htpasswd file contains bcrypt hashes made with Python's crypt module,
 * or with Apache's htpasswd where Python lacks that module.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTokenServer } from './token-server';
import type { TokenServer, TokenServerOptions, TokenUser } from './token-server';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const TOKEN_SERVICE = 'chunked-containers-test-registry';
export const TOKEN_ISSUER = 'chunked-containers-test-issuer';

export type RegistryAuthMode = 'none' | 'htpasswd' | 'token';

export interface StartRegistryOptions {
  auth?: RegistryAuthMode;
  users?: TokenUser[];
  /** Registry sends relative upload Locations (`http.relativeurls`). */
  relativeURLs?: boolean;
  token?: Pick<TokenServerOptions, 'lifetimeSeconds' | 'advertisedExpiresIn' | 'allowAnonymous'>;
}

export interface RegistryHandle {
  /** `127.0.0.1:<port>`. */
  readonly host: string;
  readonly dataDir: string;
  readonly users: TokenUser[];
  readonly tokenServer?: TokenServer;
  /** The registry's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Default account for the auth modes. */
export const TEST_USER: TokenUser = { username: 'pusher', password: 'pw-' + 'x'.repeat(8) };

/** Waits up to `timeoutMs` for the registry binary, which apt may still be installing. */
export async function waitForRegistryBinary(timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(REGISTRY_BINARY)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
  return true;
}

/** Returns a bcrypt hash of `password`, or undefined when no tool can make one. */
export function bcryptHash(password: string): string | undefined {
  const script =
    'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))';
  try {
    const hash = execFileSync('python3', ['-W', 'ignore', '-c', script, password], {
      encoding: 'utf8',
    }).trim();
    if (hash.startsWith('$2')) return hash;
  } catch {
    // Python without the crypt module (3.13 removed it): try htpasswd.
  }
  try {
    const line = execFileSync('htpasswd', ['-nbB', 'user', password], { encoding: 'utf8' });
    return line.trim().split(':')[1];
  } catch {
    return undefined;
  }
}

/** Returns a port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a registry; call `stop()` when done. */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RegistryHandle> {
  const users = options.users ?? [TEST_USER];
  const dir = mkdtempSync(join(tmpdir(), 'cc-registry-'));
  const logPath = join(dir, 'registry.log');
  const host = `127.0.0.1:${await freePort()}`;
  const { authYAML, tokenServer } = await authSetup(options, dir, users);

  const configPath = join(dir, 'config.yml');
  const dataDir = join(dir, 'data');
  writeFileSync(configPath, configYAML({ host, dataDir, authYAML, relative: options.relativeURLs }));
  const logFd = openSync(logPath, 'a');
  const child = spawn(REGISTRY_BINARY, ['serve', configPath], {
    stdio: ['ignore', logFd, logFd],
  });

  const handle: RegistryHandle = {
    host,
    dataDir,
    users,
    tokenServer,
    log: () => readFileSync(logPath, 'utf8'),
    stop: async () => {
      await stopChild(child);
      closeSync(logFd);
      await tokenServer?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilServing(host, child, handle);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

/** Returns the `auth:` section for the mode, starting a token server when needed. */
async function authSetup(
  options: StartRegistryOptions,
  dir: string,
  users: TokenUser[],
): Promise<{ authYAML: string; tokenServer?: TokenServer }> {
  const mode = options.auth ?? 'none';
  if (mode === 'htpasswd') return { authYAML: htpasswdYAML(dir, users) };
  if (mode !== 'token') return { authYAML: '' };
  const material = tokenMaterial(dir);
  const tokenServer = await startTokenServer({
    ...material,
    service: TOKEN_SERVICE,
    issuer: TOKEN_ISSUER,
    users,
    ...options.token,
  });
  return { authYAML: tokenYAML(tokenServer.realm, material.certPath), tokenServer };
}

function configYAML(input: {
  host: string;
  dataDir: string;
  authYAML: string;
  relative?: boolean;
}): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${input.dataDir}`,
    '  delete:',
    '    enabled: true',
    '  redirect:',
    '    disable: true',
    'http:',
    `  addr: ${input.host}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    `  relativeurls: ${input.relative ? 'true' : 'false'}`,
    input.authYAML,
  ].join('\n');
}

function htpasswdYAML(dir: string, users: TokenUser[]): string {
  const lines = users.map((user) => {
    const hash = bcryptHash(user.password);
    if (!hash) throw new Error('registry helper: no bcrypt tool (python3 crypt or htpasswd)');
    return `${user.username}:${hash}`;
  });
  const path = join(dir, 'htpasswd');
  writeFileSync(path, lines.join('\n') + '\n');
  return ['auth:', '  htpasswd:', '    realm: chunked-containers-test', `    path: ${path}`].join('\n');
}

function tokenYAML(realm: string, certPath: string): string {
  return [
    'auth:',
    '  token:',
    `    realm: ${realm}`,
    `    service: ${TOKEN_SERVICE}`,
    `    issuer: ${TOKEN_ISSUER}`,
    `    rootcertbundle: ${certPath}`,
  ].join('\n');
}

/** Makes an RSA key with node:crypto and a self-signed certificate for it with openssl. */
function tokenMaterial(dir: string): { keyPath: string; certPath: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  execFileSync('openssl', [
    'req', '-x509', '-new', '-key', keyPath, '-subj', '/CN=chunked-containers-test-token',
    '-days', '1', '-out', certPath,
  ]);
  return { keyPath, certPath };
}

async function waitUntilServing(
  host: string,
  child: ChildProcess,
  handle: RegistryHandle,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`docker-registry exited with ${child.exitCode}:\n${tail(handle.log())}`);
    }
    try {
      const response = await fetch(`http://${host}/v2/`);
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(`docker-registry did not serve /v2/ on ${host}:\n${tail(handle.log())}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function tail(text: string): string {
  return text.split('\n').slice(-20).join('\n');
}
