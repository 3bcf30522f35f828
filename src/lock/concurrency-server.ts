// What the Lock and Election services need from the server: linearizable KV calls
// through the one write path, lease grants, the local store for synchronous checks,
// and the stream of applied writes (one deletion watch per server).
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../generated/etcdserverpb/rpc.js';
import type { LocalStore } from '../mvcc/kv-view.js';
import { KeyDeletionWatch, type WriteSource } from './key-deletion-watch.js';
import { SESSION_LEASE_TTL_SECONDS } from '../lease/lease-limits.js';

export interface ConcurrencyServer extends WriteSource {
  range(request: RangeRequest): Promise<RangeResponse>;
  txn(request: TxnRequest): Promise<TxnResponse>;
  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  leaseGrant(request: LeaseGrantRequest): Promise<LeaseGrantResponse>;
  readonly store: LocalStore;
}

const deletionWatches = new WeakMap<ConcurrencyServer, KeyDeletionWatch>();

/** The server's one deletion watch, made on first use. */
export function deletionWatchOf(server: ConcurrencyServer): KeyDeletionWatch {
  let watch = deletionWatches.get(server);
  if (watch === undefined) deletionWatches.set(server, (watch = new KeyDeletionWatch(server)));
  return watch;
}

/**
 * The lease a lock or campaign key is bound to. Like etcd's session, a request
 * naming no lease gets a fresh one with the session TTL that nobody keeps alive.
 */
export async function sessionLease(server: ConcurrencyServer, lease: bigint): Promise<bigint> {
  if (lease !== 0n) return lease;
  const granted = await server.leaseGrant({ ID: 0n, TTL: SESSION_LEASE_TTL_SECONDS });
  return granted.ID;
}

/** Whether the key still exists with this create revision, read synchronously from the local store. */
export function stillExists(server: ConcurrencyServer, key: Buffer, createRevision: bigint): boolean {
  const kv = server.store.read().range(key, Buffer.alloc(0), { revision: 0, limit: 1, countOnly: false }).kvs[0];
  return kv !== undefined && kv.createRevision === createRevision;
}
