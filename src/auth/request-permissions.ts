// Which keys a KV request touches and how (etcd's apply_auth rules): used at the API
// edge before proposing and again in the apply loop at the request's auth revision.
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../generated/etcdserverpb/rpc.js';
import type { AuthStore } from './auth-store.js';
import type { Caller } from './caller.js';

const NO_END = Buffer.alloc(0);
/** Txns nest at most this deep in practice (etcd bounds ops, not depth); a deeper one is refused by its op count first. */
const TXN_DEPTH_MAX = 64;

/** Keys a lease holds, to check a revoke or a new attachment. */
export type LeaseKeys = (leaseId: bigint) => Iterable<Buffer>;

export function checkRange(auth: AuthStore, caller: Caller | null, request: RangeRequest): void {
  auth.checkAccess(caller, request.key, request.rangeEnd, 'read');
}

export function checkPut(auth: AuthStore, caller: Caller | null, request: PutRequest, leaseKeys: LeaseKeys): void {
  auth.checkAccess(caller, request.key, NO_END, 'write');
  // A lease already holding keys this user may not write cannot gain keys from it: it could not revoke them.
  if (request.lease !== 0n) checkLeaseWrites(auth, caller, request.lease, leaseKeys);
  if (request.prevKv) auth.checkAccess(caller, request.key, NO_END, 'read');
}

export function checkDeleteRange(auth: AuthStore, caller: Caller | null, request: DeleteRangeRequest): void {
  auth.checkAccess(caller, request.key, request.rangeEnd, 'write');
  if (request.prevKv) auth.checkAccess(caller, request.key, request.rangeEnd, 'read');
}

/** Every compare and every op of both branches, into nested txns. */
export function checkTxn(auth: AuthStore, caller: Caller | null, request: TxnRequest, leaseKeys: LeaseKeys, depth = 0): void {
  if (depth === 0 && auth.isUnrestricted(caller)) return;
  if (depth > TXN_DEPTH_MAX) throw new RangeError('txn nested too deep for a permission check');
  for (const compare of request.compare) auth.checkAccess(caller, compare.key, compare.rangeEnd, 'read');
  for (const op of request.success) checkOp(auth, caller, op, leaseKeys, depth);
  for (const op of request.failure) checkOp(auth, caller, op, leaseKeys, depth);
}

function checkOp(auth: AuthStore, caller: Caller | null, op: RequestOp, leaseKeys: LeaseKeys, depth: number): void {
  const request = op.request;
  switch (request?.$case) {
    case 'requestRange':
      return checkRange(auth, caller, request.value);
    case 'requestPut':
      return checkPut(auth, caller, request.value, leaseKeys);
    case 'requestDeleteRange':
      return checkDeleteRange(auth, caller, request.value);
    case 'requestTxn':
      return checkTxn(auth, caller, request.value, leaseKeys, depth + 1);
    case undefined:
      return;
  }
}

/** Revoking a lease deletes its keys: the caller must be able to write each. */
export function checkLeaseWrites(auth: AuthStore, caller: Caller | null, leaseId: bigint, leaseKeys: LeaseKeys): void {
  if (auth.isUnrestricted(caller)) return;
  for (const key of leaseKeys(leaseId)) auth.checkAccess(caller, key, NO_END, 'write');
}

/** Listing a lease's keys reveals their names: the caller must be able to read each (etcd's CVE-2023-32082 fix). */
export function checkLeaseReads(auth: AuthStore, caller: Caller | null, leaseId: bigint, leaseKeys: LeaseKeys): void {
  if (auth.isUnrestricted(caller)) return;
  for (const key of leaseKeys(leaseId)) auth.checkAccess(caller, key, NO_END, 'read');
}
