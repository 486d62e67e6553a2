/**
 * Route policy: the registries that the routes forward to, and the callers
 * that they serve.
 *
 * CHUNKED_CONTAINERS_ALLOWED_REGISTRIES is a comma-separated list of
 * `host[:port]` patterns: `registry.example.com` (default port only),
 * `registry.example.com:5000`, `registry.example.com:*` (any port) and
 * `*.example.com` (any subdomain, not the bare domain). Unset, only loopback
 * registries are allowed; set but empty, none are. A token realm on another
 * host needs its own pattern, because credentials are sent there too.
 *
 * CHUNKED_CONTAINERS_APP_ORIGIN (comma-separated) names the app's public
 * origins when a reverse proxy changes the URL that the server receives.
 */
import { isLoopbackHost } from '../../../../lib/registry/target';
import { RouteError } from './request';

const ALLOWED_REGISTRIES_ENV = 'CHUNKED_CONTAINERS_ALLOWED_REGISTRIES';
const APP_ORIGIN_ENV = 'CHUNKED_CONTAINERS_APP_ORIGIN';

interface HostPattern {
  /** Lowercase host name; a leading `*.` matches any subdomain. */
  hostname: string;
  /** `''` for the scheme's default port, `'*'` for any port. */
  port: string;
}

/** Returns true when the server's allowlist permits requests to `url`. */
export function isAllowedURL(url: URL, env = process.env): boolean {
  const patterns = env[ALLOWED_REGISTRIES_ENV];
  if (patterns === undefined) return isLoopbackHost(url.host);
  return parsePatterns(patterns).some((pattern) => matches(pattern, url));
}

/**
 * Throws a 403 RouteError unless the request comes from a page of this app:
 * `Sec-Fetch-Site: same-origin`, or an `Origin` equal to the app's origin.
 * Requests with neither header (curl, scripts) are rejected too; the Node
 * command line calls lib/registry directly instead.
 */
export function checkSameOrigin(request: Request, env = process.env): void {
  const site = request.headers.get('sec-fetch-site');
  const origin = request.headers.get('origin');
  if (site !== null && site !== 'same-origin') {
    throw new RouteError(
      403,
      'CROSS_ORIGIN',
      `registry routes accept same-origin requests only, got Sec-Fetch-Site ${site}`,
    );
  }
  if (origin === null) {
    if (site === 'same-origin') return;
    throw new RouteError(
      403,
      'ORIGIN_MISSING',
      'registry routes accept requests from pages of this app only: Origin header missing',
    );
  }
  const own = appOrigins(request, env);
  if (!own.includes(origin)) {
    throw new RouteError(
      403,
      'CROSS_ORIGIN',
      `origin ${origin} is not this app (${own.join(', ')}); set ${APP_ORIGIN_ENV} ` +
        'when a reverse proxy serves the app under another origin',
    );
  }
}

function appOrigins(request: Request, env: NodeJS.ProcessEnv): string[] {
  const configured = env[APP_ORIGIN_ENV];
  if (configured) return configured.split(',').map((origin) => origin.trim());
  const url = new URL(request.url);
  const origins = [url.origin];
  // `next start -H 127.0.0.1` (Next.js 16.5) names `localhost` in request.url, while the
  // browser's Origin names the address it connected to. A loopback Host header cannot come
  // from a rebound DNS name, so that origin counts as this app too.
  const host = request.headers.get('host');
  if (host && isLoopbackHost(host)) origins.push(`${url.protocol}//${host}`);
  return origins;
}

function parsePatterns(list: string): HostPattern[] {
  return list
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '')
    .map(parsePattern);
}

function parsePattern(item: string): HostPattern {
  const match = /^(\[[0-9a-f:.]+\]|[^:]+)(?::(\d{1,5}|\*))?$/.exec(item);
  if (!match) return { hostname: '', port: '' }; // matches nothing
  return { hostname: match[1], port: match[2] ?? '' };
}

function matches(pattern: HostPattern, url: URL): boolean {
  if (pattern.port !== '*' && pattern.port !== url.port) return false;
  const hostname = url.hostname.toLowerCase();
  if (pattern.hostname.startsWith('*.')) {
    return hostname.endsWith(pattern.hostname.slice(1));
  }
  return hostname === pattern.hostname;
}
