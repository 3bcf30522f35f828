// The client's typed error family: every failed call becomes an EtcdClientError that
// keeps etcd's message text and the gRPC code, with subclasses matched on etcd's texts.
import { status as GrpcStatus } from '@grpc/grpc-js';

/** What a failed call looked like on the wire. */
export interface GrpcFailure {
  code: number;
  details: string;
}

export class EtcdClientError extends Error {
  /** The gRPC status code (`@grpc/grpc-js` `status`). */
  readonly grpcCode: number;
  /** The text etcd sent, e.g. "etcdserver: mvcc: required revision has been compacted". */
  readonly etcdMessage: string;

  constructor(grpcCode: number, etcdMessage: string) {
    super(etcdMessage === '' ? `gRPC status ${GrpcStatus[grpcCode] ?? grpcCode}` : etcdMessage);
    this.name = new.target.name;
    this.grpcCode = grpcCode;
    this.etcdMessage = etcdMessage;
  }
}

export class CompactedError extends EtcdClientError {}
export class FutureRevisionError extends EtcdClientError {}
export class KeyNotFoundError extends EtcdClientError {}
export class LeaseNotFoundError extends EtcdClientError {}
export class TooManyOpsError extends EtcdClientError {}
export class DuplicateKeyError extends EtcdClientError {}
export class RequestTooLargeError extends EtcdClientError {}
export class NoSpaceError extends EtcdClientError {}
export class InvalidAuthTokenError extends EtcdClientError {}
export class AuthOldRevisionError extends EtcdClientError {}
export class AuthFailedError extends EtcdClientError {}
export class PermissionDeniedError extends EtcdClientError {}
export class UserEmptyError extends EtcdClientError {}
export class MemberNotFoundError extends EtcdClientError {}
export class NoLeaderError extends EtcdClientError {}
export class NotLeaderError extends EtcdClientError {}
export class TimeoutError extends EtcdClientError {}
export class UnavailableError extends EtcdClientError {}
export class NotImplementedError extends EtcdClientError {}
export class CancelledError extends EtcdClientError {}

/** A watch whose start revision was compacted: resume from `compactRevision` or later. */
export class WatchCompactedError extends EtcdClientError {
  readonly compactRevision: bigint;
  constructor(compactRevision: bigint, message: string) {
    super(GrpcStatus.OUT_OF_RANGE, message);
    this.compactRevision = compactRevision;
  }
}

/** A session or keep-alive whose lease expired or was revoked. */
export class LeaseLostError extends Error {
  readonly leaseId: bigint;
  constructor(leaseId: bigint, reason: string) {
    super(`lease ${leaseId.toString(16)} lost: ${reason}`);
    this.name = 'LeaseLostError';
    this.leaseId = leaseId;
  }
}

/** A recipe call made by someone who does not hold the role (election leader, lock owner). */
export class RecipeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecipeError';
  }
}

type ErrorClass = new (code: number, message: string) => EtcdClientError;

// Clients match on etcd's texts (as Go's rpctypes do), because codes alone are shared
// by many causes: "etcdserver: " plus the server-side error string.
const BY_MESSAGE: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ['etcdserver: mvcc: required revision has been compacted', CompactedError],
  ['etcdserver: mvcc: required revision is a future revision', FutureRevisionError],
  ['etcdserver: key not found', KeyNotFoundError],
  ['etcdserver: requested lease not found', LeaseNotFoundError],
  ['etcdserver: too many operations in txn request', TooManyOpsError],
  ['etcdserver: duplicate key given in txn request', DuplicateKeyError],
  ['etcdserver: request is too large', RequestTooLargeError],
  ['etcdserver: mvcc: database space exceeded', NoSpaceError],
  ['etcdserver: invalid auth token', InvalidAuthTokenError],
  ['etcdserver: revision of auth store is old', AuthOldRevisionError],
  ['etcdserver: authentication failed, invalid user ID or password', AuthFailedError],
  ['etcdserver: permission denied', PermissionDeniedError],
  ['etcdserver: user name is empty', UserEmptyError],
  ['etcdserver: member not found', MemberNotFoundError],
  ['etcdserver: no leader', NoLeaderError],
  ['etcdserver: not leader', NotLeaderError],
  ['etcdserver: request timed out', TimeoutError],
  // A blocking Lock, Campaign, Observe or Watch whose deadline passed: etcd's handler
  // returns the context's error, which gRPC-Go sends as UNKNOWN with this text.
  ['context deadline exceeded', TimeoutError],
  ['etcdserver: leader changed', NotLeaderError],
]);

const BY_CODE: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [GrpcStatus.DEADLINE_EXCEEDED, TimeoutError],
  [GrpcStatus.UNAVAILABLE, UnavailableError],
  [GrpcStatus.UNIMPLEMENTED, NotImplementedError],
  [GrpcStatus.CANCELLED, CancelledError],
]);

export function errorFromGrpc(failure: GrpcFailure): EtcdClientError {
  const ctor = BY_MESSAGE.get(failure.details) ?? BY_CODE.get(failure.code) ?? EtcdClientError;
  return new ctor(failure.code, failure.details);
}

export function isGrpcFailure(value: unknown): value is GrpcFailure {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { code?: unknown; details?: unknown };
  return typeof candidate.code === 'number' && typeof candidate.details === 'string';
}

/** Whether the error says the server lacks the service or method (e.g. an etcd-ts still being built). */
export function isUnimplemented(error: unknown): boolean {
  return error instanceof EtcdClientError && error.grpcCode === GrpcStatus.UNIMPLEMENTED;
}
