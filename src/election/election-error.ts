// The errors etcd's election API returns as plain text (gRPC status UNKNOWN),
// byte for byte as clientv3/concurrency and v3election spell them.

export type ElectionErrorMessage = 'election: not leader' | 'election: no leader' | '"leader" field must be provided';

export class ElectionError extends Error {
  constructor(readonly text: ElectionErrorMessage) {
    super(text);
    this.name = 'ElectionError';
  }
}

export const notLeader = (): ElectionError => new ElectionError('election: not leader');
export const noLeader = (): ElectionError => new ElectionError('election: no leader');
export const missingLeaderKey = (): ElectionError => new ElectionError('"leader" field must be provided');
