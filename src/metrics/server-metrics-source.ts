// Reads the numbers /metrics shows from a running member.
import type { EtcdServer } from '../server/etcd-server.js';
import type { MetricsSource } from './etcd-metrics.js';

export function serverMetricsSource(server: EtcdServer): MetricsSource {
  return {
    hasLeader: () => server.metricsSnapshot().hasLeader,
    leaderChangesSeen: () => server.metricsSnapshot().leaderChangesSeen,
    committedIndex: () => server.metricsSnapshot().committedIndex,
    appliedIndex: () => server.metricsSnapshot().appliedIndex,
    proposalsPending: () => server.metricsSnapshot().proposalsPending,
    proposalsFailed: () => server.metricsSnapshot().proposalsFailed,
    dbSizeBytes: async () => Number((await server.status()).dbSize),
    dbSizeInUseBytes: async () => Number((await server.status()).dbSizeInUse),
    keyCount: () => server.store.keyCount,
    walStats: () => server.metricsSnapshot().walStats,
    backendCommitStats: () => server.metricsSnapshot().backendCommitStats,
    peerTraffic: { memberId: () => server.memberId, peers: () => server.peerStats() },
  };
}
