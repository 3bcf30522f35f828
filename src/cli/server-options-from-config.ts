// Maps the parsed etcd configuration onto what the server needs to start.
import type { LogOutput, ServerConfig } from '../config/server-config.js';
import type { Logger } from '../log/logger.js';
import type { ServerOptions } from '../server/server-options.js';

export function logOutputTargets(outputs: readonly LogOutput[]): string[] {
  return outputs.map((output) => (output.kind === 'file' ? output.path : output.kind));
}

export function serverOptionsFromConfig(config: ServerConfig, logger: Logger): ServerOptions {
  return {
    name: config.name,
    dataDir: config.dataDir,
    walDir: config.walDir,
    listenClientUrls: config.listenClientUrls,
    advertiseClientUrls: config.advertiseClientUrls,
    listenPeerUrls: config.listenPeerUrls,
    initialAdvertisePeerUrls: config.initialAdvertisePeerUrls,
    initialCluster: config.initialCluster,
    initialClusterState: config.initialClusterState,
    initialClusterToken: config.initialClusterToken,
    strictReconfigCheck: config.strictReconfigCheck,
    snapshotCount: config.snapshotCount,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    electionTimeoutMs: config.electionTimeoutMs,
    quotaBackendBytes: config.quotaBackendBytes,
    maxRequestBytes: config.maxRequestBytes,
    maxTxnOps: config.maxTxnOps,
    authToken: config.authToken,
    authTokenTtlSeconds: config.authTokenTtlSeconds,
    bcryptCost: config.bcryptCost,
    maxSnapshots: config.maxSnapshots,
    maxWals: config.maxWals,
    autoCompaction: config.autoCompaction,
    compactionBatchLimit: config.compactionBatchLimit,
    backendBatchLimit: config.backendBatchLimit,
    backendBatchIntervalMs: config.backendBatchIntervalMs,
    watchProgressNotifyIntervalMs: config.watchProgressNotifyIntervalMs,
    leaseCheckpointIntervalMs: config.leaseCheckpointIntervalMs,
    initialCorruptCheck: config.initialCorruptCheck,
    corruptCheckIntervalMs: config.corruptCheckIntervalMs,
    logger,
  };
}
