// `--auth-token jwt,...`: tokens signed with the configured key, carrying etcd's
// claims (username, revision, exp). Nothing is held per token: any member with the
// public key verifies them; a verified token is remembered until it expires.
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Caller } from './caller.js';
import type { PreparedToken, TokenProvider } from './token-provider.js';

/** etcd's default JWT lifetime. */
export const JWT_TTL_MS_DEFAULT = 5 * 60 * 1000;
/** Verified tokens remembered, so a busy client does not pay a signature check per request. */
const VERIFIED_CACHE_MAX = 10_000;

const ASYMMETRIC_METHODS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);
const HMAC_METHODS = new Set(['HS256', 'HS384', 'HS512']);

export interface JwtOptions {
  readonly signMethod: string;
  readonly publicKeyPath: string | null;
  readonly privateKeyPath: string | null;
  readonly ttlMs: number;
}

/** jose, loaded with the first JWT (only `--auth-token jwt` uses it). */
let joseModule: Promise<typeof import('jose')> | null = null;

function jose(): Promise<typeof import('jose')> {
  joseModule ??= import('jose');
  return joseModule;
}

interface Keys {
  readonly sign: KeyObject | null;
  readonly verify: KeyObject;
}

function loadKeys(options: JwtOptions): Keys {
  if (HMAC_METHODS.has(options.signMethod)) {
    if (options.privateKeyPath === null) throw new Error('auth: missing key data');
    const secret = createSecretKey(readFileSync(options.privateKeyPath));
    return { sign: secret, verify: secret };
  }
  if (!ASYMMETRIC_METHODS.has(options.signMethod)) throw new Error('auth: invalid auth signature method');
  const sign = options.privateKeyPath === null ? null : createPrivateKey(readFileSync(options.privateKeyPath));
  if (options.publicKeyPath === null && sign === null) throw new Error('auth: missing key data');
  const verify = options.publicKeyPath === null ? createPublicKey(sign as KeyObject) : createPublicKey(readFileSync(options.publicKeyPath));
  return { sign, verify };
}

export class JwtTokens implements TokenProvider {
  private readonly keys: Keys;
  private readonly verified = new Map<string, { caller: Caller; expiresMs: number }>();

  constructor(private readonly options: JwtOptions, private readonly nowMs: () => number = () => Date.now()) {
    this.keys = loadKeys(options);
  }

  async prepare(username: string, revision: number): Promise<PreparedToken> {
    if (this.keys.sign === null) throw new Error('auth: token signing attempted with verify-only key');
    const expSeconds = Math.floor((this.nowMs() + this.options.ttlMs) / 1000);
    const { SignJWT } = await jose();
    const token = await new SignJWT({ username, revision })
      .setProtectedHeader({ alg: this.options.signMethod, typ: 'JWT' })
      .setExpirationTime(expSeconds)
      .sign(this.keys.sign);
    return { logPart: '', token };
  }

  assign(): string {
    return '';
  }

  info(token: string): Caller | null | Promise<Caller | null> {
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      if (cached.expiresMs > this.nowMs()) return cached.caller;
      this.verified.delete(token);
      return null;
    }
    return this.verify(token);
  }

  private async verify(token: string): Promise<Caller | null> {
    try {
      const { jwtVerify } = await jose();
      const { payload } = await jwtVerify(token, this.keys.verify, {
        algorithms: [this.options.signMethod],
        currentDate: new Date(this.nowMs()),
      });
      const { username, revision, exp } = payload;
      if (typeof username !== 'string' || typeof revision !== 'number' || typeof exp !== 'number') return null;
      const caller = { username, revision };
      if (this.verified.size >= VERIFIED_CACHE_MAX) {
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) this.verified.delete(oldest);
      }
      this.verified.set(token, { caller, expiresMs: exp * 1000 });
      return caller;
    } catch {
      return null;
    }
  }

  invalidateUser(): void {
    // A JWT stays valid until it expires (as etcd); a deleted user fails the permission check.
  }

  setEnabled(): void {}

  close(): void {
    this.verified.clear();
  }
}
