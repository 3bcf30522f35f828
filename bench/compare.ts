// Runs every spec on fresh etcd and etcd-ts servers in alternating order for several rounds,
// so drift in the machine's load hits both, and reduces the rounds to medians and ratios.
import { diskTimingsBetween, scrapeDiskCounters } from './disk-timings.js';
import { runLoad, type RunOptions } from './load-runner.js';
import { ServerProcess, serverAvailable, type ServerBinaries, type ServerKind } from './server-process.js';
import { summarize, type RoundResult, type SpecSummary } from './summary.js';
import type { LoadArgs } from './cli-args.js';
import type { Spec } from './spec-table.js';

export interface CompareOptions extends LoadArgs {
  specs: Spec[];
  servers: ServerKind[];
  rounds: number;
  binaries: ServerBinaries;
  log: (line: string) => void;
}

export interface CompareOutcome {
  rounds: RoundResult[];
  summaries: SpecSummary[];
  skippedServers: ServerKind[];
}

/** The load generator's settings for a round, from the command line's load arguments. */
export function loadSettings(load: LoadArgs): Pick<RunOptions, 'durationS' | 'total' | 'warmupS' | 'ratePerS' | 'connsPerWorker' | 'transport'> {
  return {
    durationS: load.durationS,
    total: load.total,
    warmupS: load.warmupS,
    ratePerS: load.ratePerS,
    connsPerWorker: load.connsPerWorker,
    transport: load.transport,
  };
}

/** One fresh server, one spec, then the server and its data are gone. */
export async function runOnFreshServer(kind: ServerKind, spec: Spec, load: LoadArgs, bins: ServerBinaries): Promise<RoundResult['result']> {
  if (spec.clusterSize !== 1) throw new Error(`spec ${spec.name} needs ${spec.clusterSize} members; only single members are started today`);
  const server = await ServerProcess.start(kind, bins);
  try {
    const before = await scrapeDiskCounters([server.endpoint]);
    const result = await runLoad({ endpoints: [server.endpoint], spec, ...loadSettings(load), serverPid: server.pid });
    result.disk = diskTimingsBetween(before, await scrapeDiskCounters([server.endpoint]));
    return result;
  } finally {
    await server.stop();
  }
}

/**
 * Every spec, round after round, each server in turn on something fresh (`runOne` starts and
 * stops it), so drift in the machine's load hits all; a failed round is kept with its error.
 */
export async function runRounds(
  opts: CompareOptions,
  runOne: (server: ServerKind, spec: Spec) => Promise<RoundResult['result']>,
  label: (spec: Spec, round: string, server: ServerKind) => string,
): Promise<CompareOutcome> {
  const skippedServers = opts.servers.filter((k) => !serverAvailable(k, opts.binaries));
  const servers = opts.servers.filter((k) => !skippedServers.includes(k));
  for (const k of skippedServers) opts.log(`skipping ${k}: binary not found`);
  const rounds: RoundResult[] = [];
  for (const spec of opts.specs) {
    for (let round = 1; round <= opts.rounds; round += 1) {
      for (const server of servers) {
        opts.log(label(spec, `${round}/${opts.rounds}`, server));
        try {
          const result = await runOne(server, spec);
          rounds.push({ spec: spec.name, round, server, result, error: undefined });
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          opts.log(`  failed: ${error.split('\n')[0]}`);
          rounds.push({ spec: spec.name, round, server, result: undefined, error });
        }
      }
    }
  }
  return { rounds, summaries: opts.specs.map((s) => summarize(s.name, rounds)), skippedServers };
}

export function compare(opts: CompareOptions): Promise<CompareOutcome> {
  return runRounds(opts, (server, spec) => runOnFreshServer(server, spec, opts, opts.binaries), (spec, round, server) => `spec ${spec.name} round ${round}: ${server}`);
}
