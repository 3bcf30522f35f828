// The lease entries of the log, applied: grant, revoke (with every attached key
// deleted in the same write, so watchers see one revision) and checkpoint.
import type {
  LeaseCheckpointRequest,
  LeaseCheckpointResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
} from '../generated/etcdserverpb/rpc.js';
import type { WriteView } from '../mvcc/kv-view.js';
import type { Lessor } from './lessor.js';

const SINGLE_KEY = Buffer.alloc(0);

/** The header is left for the caller. */
export function applyLeaseGrant(lessor: Lessor, request: LeaseGrantRequest): LeaseGrantResponse {
  const lease = lessor.grant(request.ID, request.TTL);
  return { header: undefined, ID: lease.id, TTL: BigInt(lease.ttlSeconds), error: '' };
}

/** Deletes the lease's keys through `view`, which the caller ends as one revision. */
export function applyLeaseRevoke(view: WriteView, lessor: Lessor, request: LeaseRevokeRequest): LeaseRevokeResponse {
  for (const key of lessor.revoke(request.ID)) view.deleteRange(key, SINGLE_KEY);
  return { header: undefined };
}

export function applyLeaseCheckpoint(lessor: Lessor, request: LeaseCheckpointRequest): LeaseCheckpointResponse {
  for (const checkpoint of request.checkpoints) lessor.checkpoint(checkpoint.ID, checkpoint.remainingTTL);
  return { header: undefined };
}
