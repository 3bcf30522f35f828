// etcd's simple tokens: 16 random letters, a dot and the raft index of the login.
// Every member learns each one from the log; they live in memory, expire after
// --auth-token-ttl without use, and die with their user, a restart, or auth disable.
import { randomInt } from 'node:crypto';
import type { Caller } from './caller.js';
import type { PreparedToken, TokenProvider } from './token-provider.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const PREFIX_LENGTH = 16;
/** etcd's default --auth-token-ttl. */
export const SIMPLE_TOKEN_TTL_SECONDS_DEFAULT = 300;
/** Live tokens kept; beyond this the least recently used is dropped (every login adds one). */
export const SIMPLE_TOKENS_MAX = 100_000;
/** A token's expiry is pushed back at most this often, to keep lookups cheap. */
const REFRESH_GRANULARITY_MS = 1000;
/** Expired tokens dropped per login, so cleanup never stalls the apply loop. */
const SWEEP_PER_ASSIGN_MAX = 64;

interface Held {
  readonly username: string;
  lastUsedMs: number;
}

export class SimpleTokens implements TokenProvider {
  private readonly tokens = new Map<string, Held>();
  private enabled = false;
  private readonly ttlMs: number;

  constructor(ttlSeconds: number, private readonly nowMs: () => number = () => performance.now()) {
    this.ttlMs = (ttlSeconds > 0 ? ttlSeconds : SIMPLE_TOKEN_TTL_SECONDS_DEFAULT) * 1000;
  }

  async prepare(): Promise<PreparedToken> {
    let prefix = '';
    for (let i = 0; i < PREFIX_LENGTH; i++) prefix += LETTERS[randomInt(LETTERS.length)];
    return { logPart: prefix, token: null };
  }

  assign(logPart: string, username: string, index: number): string {
    const token = `${logPart}.${index}`;
    if (!this.enabled) return token;
    this.sweep();
    if (this.tokens.size >= SIMPLE_TOKENS_MAX) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
    this.tokens.set(token, { username, lastUsedMs: this.nowMs() });
    return token;
  }

  info(token: string, storeRevision: number): Caller | null {
    const held = this.tokens.get(token);
    if (held === undefined) return null;
    const now = this.nowMs();
    if (now - held.lastUsedMs > this.ttlMs) {
      this.tokens.delete(token);
      return null;
    }
    if (now - held.lastUsedMs > REFRESH_GRANULARITY_MS) {
      // Re-inserted so the map stays ordered by last use: sweeps and eviction take the front.
      held.lastUsedMs = now;
      this.tokens.delete(token);
      this.tokens.set(token, held);
    }
    return { username: held.username, revision: storeRevision };
  }

  invalidateUser(username: string): void {
    for (const [token, held] of this.tokens) if (held.username === username) this.tokens.delete(token);
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) this.tokens.clear();
  }

  close(): void {
    this.tokens.clear();
  }

  private sweep(): void {
    const now = this.nowMs();
    let swept = 0;
    for (const [token, held] of this.tokens) {
      if (swept >= SWEEP_PER_ASSIGN_MAX || now - held.lastUsedMs <= this.ttlMs) break;
      this.tokens.delete(token);
      swept++;
    }
  }
}
