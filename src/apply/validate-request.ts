// The checks etcd makes at the API edge, before a KV request is proposed: empty
// keys, contradictory put flags, txn size, and (via check-intervals) duplicate keys.
import type {
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../generated/etcdserverpb/rpc.js';
import { EtcdError } from '../errors/etcd-error.js';
import { checkIntervals } from './check-intervals.js';
import { NO_LEASE } from './lease-hooks.js';

/**
 * Throws EtcdError('EmptyKey'). etcd 3.5 does not check the sort enums here (3.6
 * answers "invalid sort option"); applyRange leaves keys in key order for values
 * it does not know, where etcd 3.5 would crash.
 */
export function checkRangeRequest(req: RangeRequest): void {
  if (req.key.length === 0) throw new EtcdError('EmptyKey');
}

/** Throws EtcdError('EmptyKey' | 'ValueProvided' | 'LeaseProvided'). */
export function checkPutRequest(req: PutRequest): void {
  if (req.key.length === 0) throw new EtcdError('EmptyKey');
  if (req.ignoreValue && req.value.length !== 0) throw new EtcdError('ValueProvided');
  if (req.ignoreLease && req.lease !== NO_LEASE) throw new EtcdError('LeaseProvided');
}

/** Throws EtcdError('EmptyKey'). */
export function checkDeleteRequest(req: DeleteRangeRequest): void {
  if (req.key.length === 0) throw new EtcdError('EmptyKey');
}

/**
 * Every check etcd makes on a txn before proposing it, in etcd's order: the shape
 * of the whole tree first (TooManyOps, EmptyKey, the per-op checks), then the
 * duplicate-key rule on the success branch and then the failure branch.
 */
export function checkTxnRequest(req: TxnRequest, maxTxnOps: number): void {
  checkTxnShape(req, maxTxnOps);
  // The overlap check runs only after the size check, so it cannot go quadratic.
  checkIntervals(req.success);
  checkIntervals(req.failure);
}

/**
 * etcd counts the larger of compares, success ops and failure ops against the
 * limit, and a nested txn gets only what its parent left over.
 */
function checkTxnShape(req: TxnRequest, maxTxnOps: number): void {
  const opCount = Math.max(req.compare.length, req.success.length, req.failure.length);
  if (opCount > maxTxnOps) throw new EtcdError('TooManyOps');
  for (const compare of req.compare) {
    if (compare.key.length === 0) throw new EtcdError('EmptyKey');
  }
  const nestedMaxTxnOps = maxTxnOps - opCount;
  for (const op of req.success) checkRequestOp(op, nestedMaxTxnOps);
  for (const op of req.failure) checkRequestOp(op, nestedMaxTxnOps);
}

function checkRequestOp(op: RequestOp, maxTxnOps: number): void {
  const request = op.request;
  // etcd answers an op with no request set as if its key did not exist.
  if (request === undefined) throw new EtcdError('KeyNotFound');
  switch (request.$case) {
    case 'requestRange':
      return checkRangeRequest(request.value);
    case 'requestPut':
      return checkPutRequest(request.value);
    case 'requestDeleteRange':
      return checkDeleteRequest(request.value);
    case 'requestTxn':
      return checkTxnShape(request.value, maxTxnOps);
  }
}
