// Runs many seeds of the whole-cluster simulation (test/sim) and prints what
// was checked, which faults were injected and every anomaly with its seed.
//   node scripts/sim-soak.mjs [--seeds 2000] [--start-seed 1] [--steps 300]
//                             [--variant correct|follower-local-reads|leader-local-reads|ack-before-commit]
//   node scripts/sim-soak.mjs --seed 42 [--variant ...]   replays one seed and explains it
// Exits 1 when the correct variant shows an anomaly (or a broken one shows none).
import { tsImport } from 'tsx/esm/api';

const DEFAULT_SEEDS = 2000;
const ANOMALIES_PRINTED_MAX = 3;

function parseArgs(argv) {
  const args = { seeds: DEFAULT_SEEDS, startSeed: 1, steps: undefined, variant: 'correct', seed: undefined };
  const names = { '--seeds': 'seeds', '--start-seed': 'startSeed', '--steps': 'steps', '--seed': 'seed' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--variant' && value !== undefined) args.variant = value;
    else if (flag in names && value !== undefined && /^\d+$/.test(value)) args[names[flag]] = Number(value);
    else throw new Error(`unknown or incomplete argument ${flag}; see the header of scripts/sim-soak.mjs`);
    i++;
  }
  return args;
}

function printSummary(s, args, wallMs) {
  const pad = (label) => `${label}:`.padEnd(24);
  console.log(pad('seeds run') + s.seedsRun);
  console.log(pad('histories checked') + s.historiesChecked +
    (s.unknownSeeds.length > 0
      ? ` (${s.unknownSeeds.length} undecided within the checker budget: seeds ${s.unknownSeeds.slice(0, 10).join(', ')})`
      : ''));
  console.log(pad('operations checked') + `${s.opsChecked} (${s.opsPending} never answered)`);
  console.log(pad('simulated time') + `${(s.simulatedNs / 1e9).toFixed(0)} s in ${s.eventsProcessed} events`);
  console.log('faults injected:');
  for (const [kind, n] of Object.entries(s.faults.toRecord())) console.log(`  ${kind.padEnd(22)}${n}`);
  console.log(pad('anomalies found') + s.anomalyCount +
    (s.anomalyCount > 0 ? ` (seeds ${s.anomalySeeds.slice(0, 30).join(', ')}${s.anomalyCount > 30 ? ', ...' : ''})` : ''));
  for (const a of s.anomalies.slice(0, ANOMALIES_PRINTED_MAX)) {
    console.log(`\n--- seed ${a.seed}: ${a.kind} (replay: node scripts/sim-soak.mjs --seed ${a.seed} --variant ${args.variant})`);
    console.log(a.detail);
  }
  console.log(`\nwall time ${(wallMs / 1000).toFixed(1)} s`);
}

function replay(sim, args) {
  const report = sim.runSimulation({
    seed: args.seed, variant: args.variant, explainAnomalies: true,
    ...(args.steps === undefined ? {} : { faultPhaseTicks: args.steps }),
  });
  console.log(`seed ${report.seed}, variant ${report.variant}`);
  console.log('shape:', JSON.stringify(report.shape, null, 1));
  console.log('faults:', JSON.stringify(report.faults.toRecord()));
  console.log(`operations: ${report.history.length}, events: ${report.eventsProcessed}`);
  for (const v of report.violations) console.log(`raft safety: ${v}`);
  if (report.check.ok === false) console.log(`not linearizable on key ${report.check.key}:\n${report.check.explanation.text}`);
  else console.log(`linearizability: ${report.check.ok === true ? 'ok' : 'undecided (budget)'}`);
  return report.anomaly;
}

const args = parseArgs(process.argv.slice(2));
const { SIM_VARIANTS } = await tsImport('../test/sim/sim-options.ts', import.meta.url);
if (!SIM_VARIANTS.includes(args.variant)) throw new Error(`unknown variant ${args.variant}; one of ${SIM_VARIANTS.join(', ')}`);
const sim = await tsImport('../test/sim/cluster-sim.ts', import.meta.url);
if (args.seed !== undefined) {
  process.exitCode = replay(sim, args) === (args.variant === 'correct') ? 1 : 0;
} else {
  const { runSoak } = await tsImport('../test/sim/soak-runner.ts', import.meta.url);
  console.log(`simulation soak: variant ${args.variant}, seeds ${args.startSeed}..${args.startSeed + args.seeds - 1}` +
    `${args.steps === undefined ? '' : `, ${args.steps} fault-phase ticks each`}`);
  const started = performance.now();
  const summary = runSoak({
    startSeed: args.startSeed, seeds: args.seeds, variant: args.variant,
    ...(args.steps === undefined ? {} : { faultPhaseTicks: args.steps }),
  });
  printSummary(summary, args, performance.now() - started);
  const broken = args.variant !== 'correct';
  process.exitCode = (summary.anomalyCount > 0) !== broken ? 1 : 0;
}
