// Runs the real-process partition fault test (test/cluster/support/partition-run.ts)
// over several seeds, longer than `npm test` does, and prints operations, faults,
// anomalies and the longest unavailability per seed and in total.
//   node scripts/partition-soak.mjs [--seeds 3] [--start-seed 1] [--duration-s 120] [--clients 6]
// Bounded by default (3 seeds of 120 s); exits 1 if any seed shows an anomaly. The members are
// bin/etcd-ts processes, so build first (npx tsc -p .).
import { tsImport } from 'tsx/esm/api';

const DEFAULTS = { seeds: 3, startSeed: 1, durationS: 120, clients: 6 };
const LIMITS = { seeds: 1000, durationS: 3600, clients: 64 };

function parseArgs(argv) {
  const args = { ...DEFAULTS };
  const names = { '--seeds': 'seeds', '--start-seed': 'startSeed', '--duration-s': 'durationS', '--clients': 'clients' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    const value = argv[i + 1];
    if (name === undefined || value === undefined || !/^\d+$/.test(value)) {
      throw new Error(`unknown or incomplete argument ${argv[i]}; see the header of scripts/partition-soak.mjs`);
    }
    args[name] = Number(value);
  }
  for (const [name, max] of Object.entries(LIMITS)) {
    if (args[name] < 1 || args[name] > max) throw new Error(`--${name} must be between 1 and ${max}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const { runPartitionFaults } = await tsImport('../test/cluster/support/partition-run.ts', import.meta.url);
const totals = { operations: 0, answered: 0, anomalies: 0, longestUnavailableMs: 0, faults: {} };
for (let seed = args.startSeed; seed < args.startSeed + args.seeds; seed++) {
  const report = await runPartitionFaults({ seed, durationMs: args.durationS * 1000, clients: args.clients, log: (line) => console.log(`  seed ${seed}: ${line}`) });
  console.log(`seed ${seed}: ${report.operations} operations (${report.answered} answered), faults ${JSON.stringify(report.faults)}, ` +
    `${report.watchedRevisions} watched revisions, longest unavailability ${report.longestUnavailableMs} ms, linearizable ${report.linearizable}, anomalies ${report.anomalies.length}`);
  for (const anomaly of report.anomalies.slice(0, 3)) console.log(`  anomaly: ${anomaly}`);
  totals.operations += report.operations;
  totals.answered += report.answered;
  totals.anomalies += report.anomalies.length;
  totals.longestUnavailableMs = Math.max(totals.longestUnavailableMs, report.longestUnavailableMs);
  for (const [kind, n] of Object.entries(report.faults)) totals.faults[kind] = (totals.faults[kind] ?? 0) + n;
}
console.log(`total: ${args.seeds} seeds, ${totals.operations} operations (${totals.answered} answered), faults ${JSON.stringify(totals.faults)}, ` +
  `longest unavailability ${totals.longestUnavailableMs} ms, anomalies ${totals.anomalies}`);
process.exit(totals.anomalies > 0 ? 1 : 0);
