// `npm run bench -- cluster ...`: the compare command on three-member clusters. Each round
// starts a fresh etcd and a fresh etcd-ts cluster in turn, sends the spec's load to the
// members (connections spread over them, the leader's first, so one connection talks to the
// leader), and counts the CPU and memory of all three members. Rounds reduce to medians.
import { ClusterServers, CLUSTER_MEMBERS } from './cluster-servers.js';
import type { LoadArgs } from './cli-args.js';
import { runLoad } from './load-runner.js';
import { serverAvailable, type ServerBinaries, type ServerKind } from './server-process.js';
import type { Spec } from './spec-table.js';
import { summarize, type RoundResult, type SpecSummary } from './summary.js';

export interface ClusterCompareOptions extends LoadArgs {
  specs: Spec[];
  servers: ServerKind[];
  rounds: number;
  binaries: ServerBinaries;
  log: (line: string) => void;
}

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
    const result = await runLoad({
      endpoints: cluster.endpoints,
      spec: { ...spec, clusterSize: CLUSTER_MEMBERS },
      durationS: load.durationS,
      total: load.total,
      warmupS: load.warmupS,
      ratePerS: load.ratePerS,
      connsPerWorker: load.connsPerWorker,
      transport: load.transport,
      // The members' usage is summed here instead: runLoad follows one process.
      serverPid: undefined,
    });
    const after = cluster.sample();
    // Includes the warm-up, as the whole cluster is counted from before the load started.
    const cpuS = after.cpuS - before.cpuS;
    result.server = { cpuS, cpuPerOpUs: result.okCount > 0 ? (cpuS * 1e6) / result.okCount : 0, peakRssBytes: after.peakRssBytes, rssBytes: after.rssBytes };
    return result;
  } finally {
    await cluster.stop();
  }
}

export async function compareClusters(opts: ClusterCompareOptions): Promise<ClusterCompareOutcome> {
  const skippedServers = opts.servers.filter((k) => !serverAvailable(k, opts.binaries));
  const servers = opts.servers.filter((k) => !skippedServers.includes(k));
  for (const k of skippedServers) opts.log(`skipping ${k}: binary not found`);
  const rounds: RoundResult[] = [];
  for (const spec of opts.specs) {
    for (let round = 1; round <= opts.rounds; round += 1) {
      for (const server of servers) {
        opts.log(`cluster spec ${spec.name} round ${round}/${opts.rounds}: ${CLUSTER_MEMBERS} x ${server}`);
        try {
          rounds.push({ spec: spec.name, round, server, result: await runOnFreshCluster(server, spec, opts, opts.binaries), error: undefined });
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          opts.log(`  failed: ${error.split('\n')[0]}`);
          rounds.push({ spec: spec.name, round, server, result: undefined, error });
        }
      }
    }
  }
  return { members: CLUSTER_MEMBERS, rounds, summaries: opts.specs.map((s) => summarize(s.name, rounds)), skippedServers };
}
