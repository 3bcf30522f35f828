// Everything an EtcdServer needs to start, in units, independent of how it was
// configured (command line, config file, or the embedded API).
import type { Logger } from '../log/logger.js';
import type { MemberTls } from '../tls/member-tls.js';

export interface ClusterMemberSpec {
  readonly name: string;
  readonly peerUrls: readonly string[];
}

export type AutoCompaction =
  | { readonly mode: 'periodic'; readonly retentionMs: number }
  | { readonly mode: 'revision'; readonly retentionRevisions: number };

export interface ServerOptions {
  readonly name: string;
  /** null keeps everything in memory (embedded test servers). */
  readonly dataDir: string | null;
  /** Where the WAL lives; defaults to <dataDir>/member/wal. */
  readonly walDir: string | null;
  readonly listenClientUrls: readonly URL[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly URL[];
  readonly initialAdvertisePeerUrls: readonly string[];
  readonly initialCluster: readonly ClusterMemberSpec[];
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  /** Refuse membership changes that could leave the cluster without a quorum of started members. */
  readonly strictReconfigCheck: boolean;
  readonly snapshotCount: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** Bytes the backend may grow to before writes raise NOSPACE; null disables the quota. */
  readonly quotaBackendBytes: number | null;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  readonly maxSnapshots: number;
  readonly maxWals: number;
  readonly autoCompaction: AutoCompaction | null;
  readonly compactionBatchLimit: number;
  readonly backendBatchLimit: number;
  readonly backendBatchIntervalMs: number;
  /** How often watchers that asked for progress notifications get one. */
  readonly watchProgressNotifyIntervalMs: number;
  /** Lease checkpoints through the log this often; null: off. */
  readonly leaseCheckpointIntervalMs: number | null;
  /** --experimental-initial-corrupt-check (absent: off). */
  readonly initialCorruptCheck?: boolean;
  /** --experimental-corrupt-check-time in ms (absent or null: off). */
  readonly corruptCheckIntervalMs?: number | null;
  /** --auth-token ("simple" or "jwt,..."); absent: simple. */
  readonly authToken?: string;
  /** --auth-token-ttl in seconds for simple tokens; absent or 0: 300. */
  readonly authTokenTtlSeconds?: number;
  /** --bcrypt-cost; absent: 10. */
  readonly bcryptCost?: number;
  readonly logger: Logger;
  /** Client and peer TLS material, loaded at start; absent: no TLS. */
  readonly tls?: MemberTls;
}

import { DEFAULT_QUOTA_BACKEND_BYTES } from '../config/server-config.js';

export {
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_TXN_OPS,
  DEFAULT_QUOTA_BACKEND_BYTES,
  DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL_MS,
} from '../config/server-config.js';
/** gRPC accepts this much beyond --max-request-bytes, as etcd, so the server can answer "request is too large". */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;
/** Proposals may run at most this far ahead of the apply loop before new ones get "too many requests". */
export const MAX_COMMITTED_NOT_APPLIED_ENTRIES = 5000;
/** How long a proposal may wait for its result before "request timed out". */
export const PROPOSAL_TIMEOUT_MS = 7000;
/** How long graceful stop waits for in-flight requests. */
export const GRACEFUL_STOP_TIMEOUT_MS = 5000;

/** etcd: 0 means the default quota; a negative value (null here) disables it. */
export function resolvedQuotaBytes(quotaBackendBytes: number | null): number {
  if (quotaBackendBytes === null) return Number.POSITIVE_INFINITY;
  return quotaBackendBytes <= 0 ? DEFAULT_QUOTA_BACKEND_BYTES : quotaBackendBytes;
}
