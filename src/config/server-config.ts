// The typed server configuration the rest of etcd-ts starts from, its limits and etcd's
// defaults as named constants, and the result type of parsing a command line.
import type { TlsFlags } from '../tls/transport-security.js';

/** --quota-backend-bytes 0 means this quota (etcd's 2 GiB). */
export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;
/** Above this etcd warns that the quota exceeds the maximum (8 GiB). */
export const MAX_QUOTA_BACKEND_BYTES = 8 * 1024 * 1024 * 1024;
/** --max-request-bytes default: 1.5 MiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 1572864;
/** Above this etcd warns that the request limit exceeds the recommended one (10 MiB). */
export const RECOMMENDED_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_TXN_OPS = 128;
export const DEFAULT_SNAPSHOT_COUNT = 100000;
export const DEFAULT_MAX_SNAPSHOTS = 5;
export const DEFAULT_MAX_WALS = 5;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 100;
export const DEFAULT_ELECTION_TIMEOUT_MS = 1000;
/** etcd refuses election timeouts above this. */
export const MAX_ELECTION_TIMEOUT_MS = 50000;
/** The election timeout must be at least this many heartbeats. */
export const MIN_ELECTION_TIMEOUT_HEARTBEATS = 5;
/** --backend-batch-interval 0 means this. */
export const DEFAULT_BACKEND_BATCH_INTERVAL_MS = 100;
/** --backend-batch-limit 0 means this. */
export const DEFAULT_BACKEND_BATCH_LIMIT = 10000;
/** --experimental-compaction-batch-limit 0 or less means this. */
export const DEFAULT_COMPACTION_BATCH_LIMIT = 1000;
/** etcd's lease checkpoint interval when checkpoints are enabled (5 minutes). */
export const DEFAULT_LEASE_CHECKPOINT_INTERVAL_MS = 5 * 60 * 1000;
/** --experimental-watch-progress-notify-interval default (10 minutes). */
export const DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL_MS = 10 * 60 * 1000;
/** Shorter positive progress intervals are raised to this. */
export const MIN_WATCH_PROGRESS_NOTIFY_INTERVAL_MS = 100;
export const DEFAULT_NAME = 'default';
export const DEFAULT_LISTEN_CLIENT_URLS = 'http://localhost:2379';
export const DEFAULT_ADVERTISE_CLIENT_URLS = 'http://localhost:2379';
export const DEFAULT_LISTEN_PEER_URLS = 'http://localhost:2380';
export const DEFAULT_INITIAL_ADVERTISE_PEER_URLS = 'http://localhost:2380';
/** Built, as etcd builds it, from the default name and default advertise peer URL. */
export const DEFAULT_INITIAL_CLUSTER = `${DEFAULT_NAME}=${DEFAULT_INITIAL_ADVERTISE_PEER_URLS}`;
export const DEFAULT_INITIAL_CLUSTER_TOKEN = 'etcd-cluster';
/** Periodic retention given as a bare integer counts hours. */
export const COMPACTION_RETENTION_UNIT_MS = 60 * 60 * 1000;

/** What the caller logs (with the error) when a configuration is rejected with exit code 1. */
export const CONFIG_ERROR_LOG_MESSAGE = 'failed to verify flags';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'panic' | 'fatal';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'panic', 'fatal'];

/** Where log lines go. etcd's 'default' (journald under systemd) is stderr here. */
export type LogOutput = { readonly kind: 'stderr' } | { readonly kind: 'stdout' } | { readonly kind: 'file'; readonly path: string };

export type AutoCompaction =
  | { readonly mode: 'periodic'; readonly retentionMs: number }
  | { readonly mode: 'revision'; readonly retentionRevisions: number };

export interface InitialClusterMember {
  readonly name: string;
  /** Sorted as etcd sorts them. */
  readonly peerUrls: readonly string[];
}

/** Everything a server needs from its command line, environment or config file. */
export interface ServerConfig {
  readonly name: string;
  readonly dataDir: string;
  /** null: the WAL lives inside the data dir. */
  readonly walDir: string | null;
  readonly listenClientUrls: readonly URL[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly URL[];
  /** --listen-metrics-urls: extra listeners for /metrics and /health. */
  readonly listenMetricsUrls: readonly URL[];
  /** --max-concurrent-streams per client connection. */
  readonly maxConcurrentStreams: number;
  readonly initialAdvertisePeerUrls: readonly string[];
  readonly initialCluster: readonly InitialClusterMember[];
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly strictReconfigCheck: boolean;
  readonly snapshotCount: number;
  /** 0: keep every snapshot file. */
  readonly maxSnapshots: number;
  /** 0: keep every WAL file. */
  readonly maxWals: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** The effective quota (0 already became the default); null: quota disabled (a negative value). */
  readonly quotaBackendBytes: number | null;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  /** --auth-token, --auth-token-ttl (seconds) and --bcrypt-cost. */
  readonly authToken: string;
  readonly authTokenTtlSeconds: number;
  readonly bcryptCost: number;
  readonly backendBatchIntervalMs: number;
  readonly backendBatchLimit: number;
  readonly compactionBatchLimit: number;
  readonly watchProgressNotifyIntervalMs: number;
  /** Lease checkpoints every this many ms through the log; null: off (etcd's default). */
  readonly leaseCheckpointIntervalMs: number | null;
  /** --experimental-initial-corrupt-check: compare hashes with peers before serving. */
  readonly initialCorruptCheck: boolean;
  /** --experimental-corrupt-check-time; null: no periodic check (0 or negative). */
  readonly corruptCheckIntervalMs: number | null;
  /** null: auto compaction is off (retention 0). */
  readonly autoCompaction: AutoCompaction | null;
  readonly logger: 'zap';
  readonly logLevel: LogLevel;
  readonly logOutputs: readonly LogOutput[];
  /** The YAML file the configuration came from, if any. */
  readonly configFile: string | null;
  /** Client and peer TLS flags (files are read at start, not here). */
  readonly tls: TlsFlags;
}

/**
 * Outcome of parsing. For 'error', exitCode 2 means a usage error whose message is the full
 * text for stderr (Go's flag message then the usage); exitCode 1 means the configuration was
 * rejected and message is the error to log with CONFIG_ERROR_LOG_MESSAGE.
 */
export type ConfigParseResult =
  | { readonly kind: 'run'; readonly config: ServerConfig; readonly warnings: string[] }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version'; readonly text: string }
  | { readonly kind: 'error'; readonly message: string; readonly exitCode: number };
