// The status a call ends with when its grpc-timeout passes, as etcd's answers it.
// gRPC-Go (under etcd) has no deadline status of its own: the deadline only ends
// the handler's context, and what the client sees is what the handler then returns.
// Measured against etcd 3.4:
// - a unary request whose message is not all in by then fails gRPC-Go's read of it:
//   DEADLINE_EXCEEDED "context deadline exceeded", whatever the method;
// - a unary handler blocked on anything (a held Lock, a Campaign, or a Put, LeaseGrant
//   or linearizable Range without a quorum) returns the bare context error, which
//   gRPC-Go sends as UNKNOWN "context deadline exceeded";
// - a unary handler that never looks at its context (Defragment, ...) answers when it
//   is done, however late, and MoveLeader's answers its deadline in its own words;
// - Observe, Watch and LeaseKeepAlive streams end with UNKNOWN (a Watch or LeaseKeepAlive
//   whose client has not half-closed ends so in about four runs of five, else with
//   DEADLINE_EXCEEDED and the same text, as its receive loop's error wins the race);
//   an Observe whose request is not in yet, and other streams, with DEADLINE_EXCEEDED.
import { status } from '@grpc/grpc-js';
import type { CallStatus } from './grpc-wire.js';

/** Go's context.DeadlineExceeded, as etcd's handlers report it. */
export const CONTEXT_DEADLINE_TEXT = 'context deadline exceeded';

/** Streams that return the context's own error: their deadline is UNKNOWN. */
const HANDLER_CONTEXT_STREAMS: ReadonlySet<string> = new Set([
  '/v3electionpb.Election/Observe',
  '/etcdserverpb.Watch/Watch',
  '/etcdserverpb.Lease/LeaseKeepAlive',
]);

/**
 * Unary calls the deadline leaves to their handler. Those whose etcd 3.4 handler never
 * looks at its context once it has the request (a defragmentation, a hash, a status or
 * member list read) answer when they finish (measured: a Defragment of 130 ms with
 * grpc-timeout 20m answers OK at 130 ms). MoveLeader's handler gives up at the deadline
 * itself, in etcd's words ("leader transfer took too long").
 */
const LEFT_TO_HANDLER_PATHS: ReadonlySet<string> = new Set([
  '/etcdserverpb.Maintenance/Defragment',
  '/etcdserverpb.Maintenance/Hash',
  '/etcdserverpb.Maintenance/HashKV',
  '/etcdserverpb.Maintenance/Status',
  '/etcdserverpb.Cluster/MemberList',
  '/etcdserverpb.Lease/LeaseLeases',
  '/etcdserverpb.Maintenance/MoveLeader',
]);

const HANDLER_CONTEXT_STATUS: CallStatus = { code: status.UNKNOWN, details: CONTEXT_DEADLINE_TEXT, metadata: null };
/** A read of the request that fails on the deadline: gRPC-Go's DEADLINE_EXCEEDED. */
const TRANSPORT_STATUS: CallStatus = { code: status.DEADLINE_EXCEEDED, details: CONTEXT_DEADLINE_TEXT, metadata: null };

/** How a streaming call ends at its deadline; a server-streaming one's handler runs once its request is in. */
export function streamDeadlineStatus(path: string, handlerRunning: boolean): CallStatus {
  return handlerRunning && HANDLER_CONTEXT_STREAMS.has(path) ? HANDLER_CONTEXT_STATUS : TRANSPORT_STATUS;
}

/** How a unary call ends at its deadline; null: its running handler is left to answer in its own time. */
export function unaryDeadlineStatus(path: string, handlerRunning: boolean): CallStatus | null {
  if (!handlerRunning) return TRANSPORT_STATUS;
  return LEFT_TO_HANDLER_PATHS.has(path) ? null : HANDLER_CONTEXT_STATUS;
}
