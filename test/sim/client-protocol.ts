// What a simulated client sends to a member and what it may hear back.

import type { KvCommand, KvResult } from './kv-state-machine.js';

export type ClientCall = { readonly kind: 'read'; readonly key: string } | KvCommand;

export interface ClientRequest {
  readonly clientId: number;
  /** Unique per attempt: a retry is a new request with a new id. */
  readonly rid: string;
  readonly call: ClientCall;
}

export type ClientAnswer =
  /** The member could not take the request; it certainly had no effect. */
  | { readonly kind: 'refused' }
  | { readonly kind: 'read'; readonly value: string | null }
  | KvResult;
