// Parses --auth-token ("simple", or "jwt,pub-key=...,priv-key=...,sign-method=...,ttl=...")
// into a token provider, failing at start-up on a malformed value as etcd does.
import { JwtTokens, JWT_TTL_MS_DEFAULT } from './jwt-tokens.js';
import { SimpleTokens } from './simple-tokens.js';
import type { TokenProvider } from './token-provider.js';

export const AUTH_TOKEN_DEFAULT = 'simple';

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go durations as etcd's ttl option takes them: "5m", "30s", "1h30m". */
function parseDurationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) throw new Error(`auth: invalid ttl "${text}"`);
  return parts.reduce((total, part) => total + Number(part[1]) * (DURATION_UNITS_MS[part[2] as string] as number), 0);
}

/** Checks the option string without loading keys (configuration validation). */
export function authTokenError(spec: string): string | undefined {
  const [kind] = spec.split(',');
  // etcd's words for any token type it does not know.
  if (kind !== 'simple' && kind !== 'jwt') return 'auth: invalid auth options';
  return undefined;
}

export function tokenProviderFor(spec: string, simpleTtlSeconds: number): TokenProvider {
  const [kind, ...rest] = spec.split(',');
  if (kind === 'simple') return new SimpleTokens(simpleTtlSeconds);
  if (kind !== 'jwt') throw new Error('auth: invalid auth options');
  const options = new Map<string, string>();
  for (const item of rest) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error('auth: invalid auth options');
    options.set(item.slice(0, eq), item.slice(eq + 1));
  }
  const signMethod = options.get('sign-method');
  if (signMethod === undefined) throw new Error('auth: invalid auth options');
  const ttl = options.get('ttl');
  return new JwtTokens({
    signMethod,
    publicKeyPath: options.get('pub-key') ?? null,
    privateKeyPath: options.get('priv-key') ?? null,
    ttlMs: ttl === undefined ? JWT_TTL_MS_DEFAULT : parseDurationMs(ttl),
  });
}
