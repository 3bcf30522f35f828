// etcd's gRPC status code and message for every EtcdErrorCode, byte for byte:
// clients match on these texts, so they are copied as facts from etcd's API.
import { status } from '@grpc/grpc-js';
import type { EtcdErrorCode } from './etcd-error.js';

export interface GrpcErrorStatus {
  readonly code: status;
  readonly message: string;
}

function entry(code: status, message: string): GrpcErrorStatus {
  return { code, message: `etcdserver: ${message}` };
}

export const ERROR_TABLE: Readonly<Record<EtcdErrorCode, GrpcErrorStatus>> = {
  EmptyKey: entry(status.INVALID_ARGUMENT, 'key is not provided'),
  KeyNotFound: entry(status.INVALID_ARGUMENT, 'key not found'),
  ValueProvided: entry(status.INVALID_ARGUMENT, 'value is provided'),
  LeaseProvided: entry(status.INVALID_ARGUMENT, 'lease is provided'),
  TooManyOps: entry(status.INVALID_ARGUMENT, 'too many operations in txn request'),
  DuplicateKey: entry(status.INVALID_ARGUMENT, 'duplicate key given in txn request'),
  Compacted: entry(status.OUT_OF_RANGE, 'mvcc: required revision has been compacted'),
  FutureRev: entry(status.OUT_OF_RANGE, 'mvcc: required revision is a future revision'),
  NoSpace: entry(status.RESOURCE_EXHAUSTED, 'mvcc: database space exceeded'),
  LeaseNotFound: entry(status.NOT_FOUND, 'requested lease not found'),
  LeaseExist: entry(status.FAILED_PRECONDITION, 'lease already exists'),
  LeaseTTLTooLarge: entry(status.OUT_OF_RANGE, 'too large lease TTL'),
  WatchCanceled: entry(status.CANCELLED, 'watch canceled'),
  MemberExist: entry(status.FAILED_PRECONDITION, 'member ID already exist'),
  PeerURLExist: entry(status.FAILED_PRECONDITION, 'Peer URLs already exists'),
  MemberNotEnoughStarted: entry(
    status.FAILED_PRECONDITION,
    're-configuration failed due to not enough started members',
  ),
  MemberBadURLs: entry(status.INVALID_ARGUMENT, 'given member URLs are invalid'),
  MemberNotFound: entry(status.NOT_FOUND, 'member not found'),
  MemberNotLearner: entry(status.FAILED_PRECONDITION, 'can only promote a learner member'),
  LearnerNotReady: entry(
    status.FAILED_PRECONDITION,
    'can only promote a learner member which is in sync with leader',
  ),
  TooManyLearners: entry(status.FAILED_PRECONDITION, 'too many learner members in cluster'),
  RequestTooLarge: entry(status.INVALID_ARGUMENT, 'request is too large'),
  TooManyRequests: entry(status.RESOURCE_EXHAUSTED, 'too many requests'),
  RootUserNotExist: entry(status.FAILED_PRECONDITION, 'root user does not exist'),
  RootRoleNotExist: entry(status.FAILED_PRECONDITION, 'root user does not have root role'),
  UserAlreadyExist: entry(status.FAILED_PRECONDITION, 'user name already exists'),
  UserEmpty: entry(status.INVALID_ARGUMENT, 'user name is empty'),
  UserNotFound: entry(status.FAILED_PRECONDITION, 'user name not found'),
  RoleAlreadyExist: entry(status.FAILED_PRECONDITION, 'role name already exists'),
  RoleNotFound: entry(status.FAILED_PRECONDITION, 'role name not found'),
  RoleEmpty: entry(status.INVALID_ARGUMENT, 'role name is empty'),
  AuthFailed: entry(status.INVALID_ARGUMENT, 'authentication failed, invalid user ID or password'),
  PermissionDenied: entry(status.PERMISSION_DENIED, 'permission denied'),
  RoleNotGranted: entry(status.FAILED_PRECONDITION, 'role is not granted to the user'),
  PermissionNotGranted: entry(status.FAILED_PRECONDITION, 'permission is not granted to the role'),
  AuthNotEnabled: entry(status.FAILED_PRECONDITION, 'authentication is not enabled'),
  InvalidAuthToken: entry(status.UNAUTHENTICATED, 'invalid auth token'),
  InvalidAuthMgmt: entry(status.INVALID_ARGUMENT, 'invalid auth management'),
  AuthOldRevision: entry(status.INVALID_ARGUMENT, 'revision of auth store is old'),
  PermissionNotGiven: entry(status.INVALID_ARGUMENT, 'permission not given'),
  // etcd has no gRPC status for this one: clients see UNKNOWN with the auth package's text.
  NoPasswordUser: { code: status.UNKNOWN, message: 'auth: authentication failed, password was given for no password user' },
  NoLeader: entry(status.UNAVAILABLE, 'no leader'),
  // etcd returns these two as they come from its context and its raft node, with no
  // gRPC status of their own: clients see UNKNOWN and the bare text.
  ContextDeadline: { code: status.UNKNOWN, message: 'context deadline exceeded' },
  ProposalDropped: { code: status.UNKNOWN, message: 'raft proposal dropped' },
  NotLeader: entry(status.FAILED_PRECONDITION, 'not leader'),
  LeaderChanged: entry(status.UNAVAILABLE, 'leader changed'),
  NotCapable: entry(status.UNAVAILABLE, 'not capable'),
  Stopped: entry(status.UNAVAILABLE, 'server stopped'),
  Timeout: entry(status.UNAVAILABLE, 'request timed out'),
  TimeoutDueToLeaderFail: entry(
    status.UNAVAILABLE,
    'request timed out, possibly due to previous leader failure',
  ),
  TimeoutDueToConnectionLost: entry(
    status.UNAVAILABLE,
    'request timed out, possibly due to connection lost',
  ),
  TimeoutWaitAppliedIndex: entry(
    status.UNAVAILABLE,
    'request timed out, waiting for the applied index took too long',
  ),
  Unhealthy: entry(status.UNAVAILABLE, 'unhealthy cluster'),
  Corrupt: entry(status.DATA_LOSS, 'corrupt cluster'),
  NotSupportedForLearner: entry(status.UNAVAILABLE, 'rpc not supported for learner'),
  BadLeaderTransferee: entry(status.FAILED_PRECONDITION, 'bad leader transferee'),
  // etcd maps no gRPC status for this one, so its clients see UNKNOWN with the text.
  TimeoutLeaderTransfer: entry(status.UNKNOWN, 'request timed out, leader transfer took too long'),
  Canceled: entry(status.CANCELLED, 'request canceled'),
};
