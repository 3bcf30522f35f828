// The "cluster" bench command: takes compare's options and runs them on three-member
// clusters of etcd and etcd-ts (see cluster-compare.ts), printing medians and ratios.
//   npm run bench -- cluster --specs put-1,put-64,range-lin-64 --rounds 3 --duration-s 5
import { parseCommand, UsageError } from './cli-args.js';
import { compareClusters } from './cluster-compare.js';
import { formatSummary } from './report-table.js';
import { hostInfo, writeResults } from './results-file.js';
import { defaultBinaries } from './server-process.js';

export async function clusterCommand(argv: string[], log: (line: string) => void): Promise<void> {
  const command = parseCommand(['compare', ...argv]);
  if (command.kind !== 'compare') throw new UsageError('cluster takes the options of compare');
  const defaults = defaultBinaries();
  const binaries = { etcd: command.etcdBin ?? defaults.etcd, etcdTs: command.etcdTsBin ?? defaults.etcdTs };
  const startedAt = new Date().toISOString();
  const outcome = await compareClusters({ ...command, binaries, log });
  console.log(`three-member clusters; load spread over the members, leader first`);
  for (const s of outcome.summaries) console.log('\n' + formatSummary(s));
  const options = { specs: command.specs.map((s) => s.name), servers: command.servers, rounds: command.rounds, durationS: command.durationS, warmupS: command.warmupS };
  const path = writeResults('cluster', { command: 'cluster', startedAt, host: hostInfo(), options, ...outcome }, command.json);
  console.log(`\nresults: ${path}`);
  if (outcome.rounds.some((r) => r.error)) process.exitCode = 1;
}
