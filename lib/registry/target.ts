/**
 * Registry hosts, repository names and references, checked against the
 * distribution-spec grammar before they go into a URL.
 */
import { InvalidInputError } from '../core/errors';
import { isDigest } from '../core/digest';

/** distribution-spec: `<name>` path components separated by `/`. */
const REPOSITORY_PATTERN =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** distribution-spec: a tag is at most 128 characters. */
const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Longest repository name that Docker's reference grammar accepts. */
const MAX_REPOSITORY_LENGTH = 255;

/**
 * Returns `host[:port]` with the host name normalised as `URL` does it
 * (lowercase, IPv4 in dotted form), or throws. A port is kept even when it is
 * the scheme's default, since the scheme is decided later.
 */
export function parseRegistryHost(value: string): string {
  const invalid = () =>
    new InvalidInputError(
      `registry: invalid host ${JSON.stringify(value)}, expected host[:port]`,
    );
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:/?#@\s\\[\]]+)(?::(\d{1,5}))?$/.exec(
    value,
  );
  if (!match) throw invalid();
  const [, rawHostname, port] = match;
  let hostname: string;
  try {
    hostname = new URL(`http://${rawHostname}`).hostname;
  } catch {
    throw invalid();
  }
  if (port !== undefined && Number(port) > 65535) throw invalid();
  return port === undefined ? hostname : `${hostname}:${port}`;
}

/** Returns the host name of `host[:port]`, brackets kept for IPv6. */
export function hostnameOf(host: string): string {
  return new URL(`http://${host}`).hostname;
}

/** Returns true for 127.0.0.0/8, `localhost` and `[::1]`, with any port. */
export function isLoopbackHost(host: string): boolean {
  let hostname: string;
  try {
    hostname = hostnameOf(host);
  } catch {
    return false;
  }
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * Returns the registry's base URL. HTTPS unless the host is loopback or the
 * caller passes `insecure`, the rule that skopeo and containerd follow.
 */
export function registryBaseURL(host: string, insecure = false): URL {
  const scheme = insecure || isLoopbackHost(host) ? 'http' : 'https';
  return new URL(`${scheme}://${parseRegistryHost(host)}`);
}

/** Returns `name` when it is a valid repository name, or throws. */
export function parseRepository(name: string): string {
  if (name.length > MAX_REPOSITORY_LENGTH || !REPOSITORY_PATTERN.test(name)) {
    throw new InvalidInputError(
      `repository: invalid name ${JSON.stringify(name)}, expected lowercase ` +
        'components such as "team/app" (distribution-spec <name>)',
    );
  }
  return name;
}

/** Returns `tag` when it is a valid tag, or throws. */
export function parseTag(tag: string): string {
  if (!TAG_PATTERN.test(tag)) {
    throw new InvalidInputError(
      `tag: invalid tag ${JSON.stringify(tag)}, expected at most 128 of ` +
        '[A-Za-z0-9_.-], not starting with "." or "-"',
    );
  }
  return tag;
}

/** Returns a manifest reference, a tag or a digest, or throws. */
export function parseReference(reference: string): string {
  return isDigest(reference) ? reference : parseTag(reference);
}

/** Returns the token scope for `actions` on `repository`. */
export function repositoryScope(repository: string, actions: string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}
