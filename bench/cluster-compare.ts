// `npm run bench -- cluster ...`: the compare command on three-member clusters. Each round
// starts a fresh etcd and a fresh etcd-ts cluster in turn, sends the spec's load to the
// members (connections spread over them, the leader's first, so one connection talks to the
// leader), and counts the CPU and memory of all three members. Rounds reduce to medians.
import { ClusterServers, CLUSTER_MEMBERS } from './cluster-servers.js';
import type { LoadArgs } from './cli-args.js';
import { diskTimingsBetween, scrapeDiskCounters } from './disk-timings.js';
import { runLoad } from './load-runner.js';
import { loadSettings, runRounds, type CompareOptions } from './compare.js';
import type { ServerBinaries, ServerKind } from './server-process.js';
import type { Spec } from './spec-table.js';
import type { RoundResult, SpecSummary } from './summary.js';

export type ClusterCompareOptions = CompareOptions;

export interface ClusterCompareOutcome {
  members: number;
  rounds: RoundResult[];
  summaries: SpecSummary[];
  skippedServers: ServerKind[];
}

async function runOnFreshCluster(kind: ServerKind, spec: Spec, load: LoadArgs, bins: ServerBinaries): Promise<RoundResult['result']> {
  const cluster = await ClusterServers.start(kind, bins);
  try {
    const before = cluster.sample();
    const diskBefore = await scrapeDiskCounters(cluster.endpoints);
    const result = await runLoad({
      endpoints: cluster.endpoints,
      spec: { ...spec, clusterSize: CLUSTER_MEMBERS },
      ...loadSettings(load),
      // The members' usage is summed here instead: runLoad follows one process.
      serverPid: undefined,
    });
    const after = cluster.sample();
    result.disk = diskTimingsBetween(diskBefore, await scrapeDiskCounters(cluster.endpoints));
    // Includes the warm-up, as the whole cluster is counted from before the load started.
    const cpuS = after.cpuS - before.cpuS;
    result.server = { cpuS, cpuPerOpUs: result.okCount > 0 ? (cpuS * 1e6) / result.okCount : 0, peakRssBytes: after.peakRssBytes, rssBytes: after.rssBytes };
    return result;
  } finally {
    await cluster.stop();
  }
}

export async function compareClusters(opts: ClusterCompareOptions): Promise<ClusterCompareOutcome> {
  const outcome = await runRounds(
    opts,
    (server, spec) => runOnFreshCluster(server, spec, opts, opts.binaries),
    (spec, round, server) => `cluster spec ${spec.name} round ${round}: ${CLUSTER_MEMBERS} x ${server}`,
  );
  return { members: CLUSTER_MEMBERS, ...outcome };
}
