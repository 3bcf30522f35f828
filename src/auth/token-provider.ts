// Where tokens come from and what they mean: `--auth-token simple` (random, held in
// memory by every member) or `--auth-token jwt,...` (signed, self-describing).
import type { Caller } from './caller.js';
import type { TokenKeeper } from './auth-store.js';

export interface PreparedToken {
  /** What the Authenticate log entry carries (a simple token's random prefix; empty for JWT). */
  readonly logPart: string;
  /** The token itself when it does not depend on the log (JWT); null: made at apply. */
  readonly token: string | null;
}

export interface TokenProvider extends TokenKeeper {
  /** Before proposing a login: the random or signed part, made off the apply loop. */
  prepare(username: string, revision: number): Promise<PreparedToken>;
  /** In the apply loop, on every member: the token the login answers with ('' when prepared holds it). */
  assign(logPart: string, username: string, index: number): string;
  /**
   * Who a token names. `storeRevision` is the auth revision now: simple tokens are
   * always current (etcd), JWTs carry the revision they were signed at. null: invalid.
   */
  info(token: string, storeRevision: number): Caller | null | Promise<Caller | null>;
  close(): void;
}
