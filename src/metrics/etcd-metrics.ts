// The /metrics registry: etcd's metric names for what etcd-ts also has, read from
// the member when scraped, plus gRPC call counts and Node's process metrics.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { COMMIT_BUCKET_UPPER_SECONDS, type BackendCommitStats } from '../backend/batching-backend.js';
import type { WalStats } from '../wal/wal-stats.js';
import { FSYNC_BUCKET_UPPER_SECONDS } from '../wal/wal-stats.js';
import { ETCD_CLUSTER_VERSION, ETCD_COMPAT_VERSION } from '../version.js';
import { grpcCallCounters, type GrpcCallCounters } from './grpc-call-metrics.js';
import { bucketHistogram } from './bucket-histogram.js';
import { registerPeerNetworkMetrics, type PeerTrafficSource } from './peer-network-metrics.js';

/** What the metrics read from the member at scrape time; declared here, implemented over EtcdServer. */
export interface MetricsSource {
  hasLeader(): boolean;
  leaderChangesSeen(): number;
  committedIndex(): number;
  appliedIndex(): number;
  proposalsPending(): number;
  proposalsFailed(): number;
  dbSizeBytes(): Promise<number>;
  dbSizeInUseBytes(): Promise<number>;
  keyCount(): number;
  /** null for a member without a WAL (in memory). */
  walStats(): WalStats | null;
  backendCommitStats(): BackendCommitStats | null;
  /** This member's id and its peer links (etcd_network_*). */
  readonly peerTraffic: PeerTrafficSource;
}

export interface EtcdMetrics {
  readonly registry: Registry;
  readonly grpc: GrpcCallCounters;
}

/** A gauge whose value is read when scraped. */
function readGauge(registry: Registry, name: string, help: string, read: () => number | Promise<number>): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      this.set(await read());
    },
  });
}

export function createEtcdMetrics(source: MetricsSource): EtcdMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  readGauge(registry, 'etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', () => (source.hasLeader() ? 1 : 0));
  readGauge(registry, 'etcd_server_leader_changes_seen_total', 'The number of leader changes seen.', () => source.leaderChangesSeen());
  readGauge(registry, 'etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.', () => source.committedIndex());
  readGauge(registry, 'etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.', () => source.appliedIndex());
  readGauge(registry, 'etcd_server_proposals_pending', 'The current number of pending proposals to commit.', () => source.proposalsPending());
  readGauge(registry, 'etcd_server_proposals_failed_total', 'The total number of failed proposals seen.', () => source.proposalsFailed());
  readGauge(registry, 'etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.', () => source.dbSizeBytes());
  readGauge(registry, 'etcd_mvcc_db_total_size_in_use_in_bytes', 'Total size of the underlying database logically in use in bytes.', () => source.dbSizeInUseBytes());
  readGauge(registry, 'etcd_debugging_mvcc_keys_total', 'Total number of keys.', () => source.keyCount());
  const serverVersion = new Gauge({ name: 'etcd_server_version', help: 'Which version is running. 1 for \'server_version\' label with current version.', labelNames: ['server_version'], registers: [registry] });
  serverVersion.set({ server_version: ETCD_COMPAT_VERSION }, 1);
  const clusterVersion = new Gauge({ name: 'etcd_cluster_version', help: 'Which version is running. 1 for \'cluster_version\' label with current cluster version', labelNames: ['cluster_version'], registers: [registry] });
  clusterVersion.set({ cluster_version: ETCD_CLUSTER_VERSION.split('.').slice(0, 2).join('.') }, 1);
  registry.registerMetric(
    bucketHistogram('etcd_disk_wal_fsync_duration_seconds', 'The latency distributions of fsync called by WAL.', FSYNC_BUCKET_UPPER_SECONDS, () => {
      const stats = source.walStats();
      return stats === null ? null : { counts: stats.fsyncBucketCounts, sum: stats.fsyncSecondsTotal };
    }),
  );
  registry.registerMetric(
    bucketHistogram('etcd_disk_backend_commit_duration_seconds', 'The latency distributions of commit called by backend.', COMMIT_BUCKET_UPPER_SECONDS, () => {
      const stats = source.backendCommitStats();
      return stats === null ? null : { counts: stats.bucketCounts, sum: stats.secondsTotal };
    }),
  );
  registerPeerNetworkMetrics(registry, source.peerTraffic);
  return { registry, grpc: grpcCallCounters(registry) };
}
