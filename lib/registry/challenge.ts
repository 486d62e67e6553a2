/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1). A registry answers 401 with a
 * challenge such as
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:app:pull"`
 * or `Basic realm="registry"`.
 */

/** One challenge: the scheme in lowercase and its parameters by lowercase name. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Returns the challenges in a `WWW-Authenticate` value, in order. */
export function parseChallenges(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  const scanner = new Scanner(header);
  for (;;) {
    scanner.skip(/[\s,]/);
    if (scanner.done()) return challenges;
    const name = scanner.token();
    if (!name) return challenges; // stray character: stop at what was read
    scanner.skip(/\s/);
    const current = challenges[challenges.length - 1];
    if (scanner.peek() === '=' && current) {
      scanner.next();
      scanner.skip(/\s/);
      current.params[name.toLowerCase()] = scanner.value();
    } else {
      challenges.push({ scheme: name.toLowerCase(), params: {} });
    }
  }
}

/** Returns the first challenge whose scheme is `bearer` or `basic`. */
export function supportedChallenge(
  challenges: AuthChallenge[],
): AuthChallenge | undefined {
  return (
    challenges.find((c) => c.scheme === 'bearer') ??
    challenges.find((c) => c.scheme === 'basic')
  );
}

class Scanner {
  private at = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  peek(): string {
    return this.text[this.at] ?? '';
  }

  next(): string {
    return this.text[this.at++] ?? '';
  }

  skip(pattern: RegExp): void {
    while (!this.done() && pattern.test(this.peek())) this.at++;
  }

  token(): string {
    const start = this.at;
    while (!this.done() && TOKEN_CHAR.test(this.peek())) this.at++;
    return this.text.slice(start, this.at);
  }

  /** Reads a quoted-string (with backslash escapes) or a bare token68. */
  value(): string {
    if (this.peek() !== '"') {
      const start = this.at;
      while (!this.done() && !/[\s,]/.test(this.peek())) this.at++;
      return this.text.slice(start, this.at);
    }
    this.next();
    let out = '';
    while (!this.done() && this.peek() !== '"') {
      const char = this.next();
      out += char === '\\' ? this.next() : char;
    }
    this.next();
    return out;
  }
}
