// The one error family for operating errors (bad input, unavailable, conflicts).
// Each code maps to etcd's exact gRPC status and message in error-table.ts; bugs
// are assertions (src/util/assert.ts), never EtcdError.

export type EtcdErrorCode =
  | 'EmptyKey'
  | 'KeyNotFound'
  | 'ValueProvided'
  | 'LeaseProvided'
  | 'TooManyOps'
  | 'DuplicateKey'
  | 'Compacted'
  | 'FutureRev'
  | 'NoSpace'
  | 'LeaseNotFound'
  | 'LeaseExist'
  | 'LeaseTTLTooLarge'
  | 'WatchCanceled'
  | 'MemberExist'
  | 'PeerURLExist'
  | 'MemberNotEnoughStarted'
  | 'MemberBadURLs'
  | 'MemberNotFound'
  | 'MemberNotLearner'
  | 'LearnerNotReady'
  | 'TooManyLearners'
  | 'RequestTooLarge'
  | 'TooManyRequests'
  | 'RootUserNotExist'
  | 'RootRoleNotExist'
  | 'UserAlreadyExist'
  | 'UserEmpty'
  | 'UserNotFound'
  | 'RoleAlreadyExist'
  | 'RoleNotFound'
  | 'RoleEmpty'
  | 'AuthFailed'
  | 'PermissionDenied'
  | 'RoleNotGranted'
  | 'PermissionNotGranted'
  | 'AuthNotEnabled'
  | 'InvalidAuthToken'
  | 'InvalidAuthMgmt'
  | 'AuthOldRevision'
  | 'PermissionNotGiven'
  | 'NoPasswordUser'
  | 'NoLeader'
  | 'ContextDeadline'
  | 'ProposalDropped'
  | 'NotLeader'
  | 'LeaderChanged'
  | 'NotCapable'
  | 'Stopped'
  | 'Timeout'
  | 'TimeoutDueToLeaderFail'
  | 'TimeoutDueToConnectionLost'
  | 'TimeoutWaitAppliedIndex'
  | 'Unhealthy'
  | 'Corrupt'
  | 'NotSupportedForLearner'
  | 'BadLeaderTransferee'
  | 'TimeoutLeaderTransfer'
  | 'Canceled';

export class EtcdError extends Error {
  readonly code: EtcdErrorCode;

  constructor(code: EtcdErrorCode, detail?: string) {
    super(detail === undefined ? code : `${code}: ${detail}`);
    this.name = 'EtcdError';
    this.code = code;
  }
}

export function isEtcdError(error: unknown): error is EtcdError {
  return error instanceof EtcdError;
}
