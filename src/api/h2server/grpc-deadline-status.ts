// The status a call ends with when its grpc-timeout passes, as etcd's answers it.
// gRPC-Go (under etcd) has no deadline status of its own: the deadline only ends
// the handler's context, and what the client sees is what the handler then
// returns. etcd's blocking handlers (Lock, Campaign, Observe, Watch, LeaseKeepAlive)
// return the bare context error, which gRPC-Go sends as UNKNOWN "context deadline
// exceeded" (measured against etcd 3.4: a Watch or LeaseKeepAlive whose client has not
// half-closed ends so in about four runs of five, else with DEADLINE_EXCEEDED and the
// same text, as its receive loop's error wins the race). Handlers that never look at
// their context answer when they are done, however late (see answersAfterDeadline).
import { status } from '@grpc/grpc-js';
import type { CallStatus } from './grpc-wire.js';

/** Go's context.DeadlineExceeded, as etcd's handlers report it. */
export const CONTEXT_DEADLINE_TEXT = 'context deadline exceeded';

/** Calls that return the context's own error: their deadline is UNKNOWN. */
const HANDLER_CONTEXT_PATHS: ReadonlySet<string> = new Set([
  '/v3lockpb.Lock/Lock',
  '/v3lockpb.Lock/Unlock',
  '/v3electionpb.Election/Campaign',
  '/v3electionpb.Election/Proclaim',
  '/v3electionpb.Election/Leader',
  '/v3electionpb.Election/Observe',
  '/v3electionpb.Election/Resign',
  '/etcdserverpb.Watch/Watch',
  '/etcdserverpb.Lease/LeaseKeepAlive',
]);

const HANDLER_CONTEXT_STATUS: CallStatus = { code: status.UNKNOWN, details: CONTEXT_DEADLINE_TEXT, metadata: null };
/** Any other call: a stream read that fails on the deadline is gRPC-Go's DEADLINE_EXCEEDED. */
const TRANSPORT_STATUS: CallStatus = { code: status.DEADLINE_EXCEEDED, details: CONTEXT_DEADLINE_TEXT, metadata: null };

export function deadlineStatus(path: string): CallStatus {
  return HANDLER_CONTEXT_PATHS.has(path) ? HANDLER_CONTEXT_STATUS : TRANSPORT_STATUS;
}

/**
 * Unary calls whose etcd 3.4 handler never looks at its context once it has the request
 * (a defragmentation, a hash, a status or member list read): gRPC-Go's deadline does not
 * stop them, and their answer goes out when they finish, however late (measured: a
 * Defragment of 130 ms with grpc-timeout 20m answers OK at 130 ms).
 */
const CONTEXT_BLIND_PATHS: ReadonlySet<string> = new Set([
  '/etcdserverpb.Maintenance/Defragment',
  '/etcdserverpb.Maintenance/Hash',
  '/etcdserverpb.Maintenance/HashKV',
  '/etcdserverpb.Maintenance/Status',
  '/etcdserverpb.Cluster/MemberList',
  '/etcdserverpb.Lease/LeaseLeases',
]);

/** Whether a unary call whose handler is running when its deadline passes is left to answer in its own time. */
export function answersAfterDeadline(path: string): boolean {
  return CONTEXT_BLIND_PATHS.has(path);
}
