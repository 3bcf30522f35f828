// Seeded whole-cluster runs of the correct server: under crashes, lost fsyncs,
// partitions, leader kills, lossy and skewed networks, raft stays safe and
// every client history is linearizable. A failure names its seed; replay it with
// node scripts/sim-soak.mjs --seed N.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSimulation } from './cluster-sim.js';
import { runSoak } from './soak-runner.js';

/** Seeds the regular suite runs; scripts/sim-soak.mjs runs thousands. */
const CI_SEEDS = Number(process.env['SIM_SEEDS'] ?? 200);
/** Histories the checker may leave undecided within its budget before the test doubts it. */
const UNDECIDED_SHARE_MAX = 0.05;

test(`${CI_SEEDS} seeded cluster runs under faults: raft stays safe and every history is linearizable`, () => {
  const summary = runSoak({ startSeed: 1, seeds: CI_SEEDS, variant: 'correct', explainAnomalies: true });
  const details = summary.anomalies.map((a) => `seed ${a.seed} (${a.kind}):\n${a.detail}`).join('\n\n');
  assert.equal(summary.anomalyCount, 0, `anomalies found; replay with node scripts/sim-soak.mjs --seed N\n${details}`);
  assert.equal(summary.seedsRun, CI_SEEDS);
  assert.ok(summary.unknownSeeds.length <= CI_SEEDS * UNDECIDED_SHARE_MAX, `undecided seeds: ${summary.unknownSeeds.join(', ')}`);
  // "No anomalies" only means something if the faults really happened and clients really worked.
  for (const kind of ['crash', 'leader-kill', 'lost-unsynced-writes', 'partition', 'isolate-leader',
    'snapshot-compaction', 'message-drop', 'message-duplicate', 'message-delay', 'clock-skew'] as const) {
    assert.ok(summary.faults.get(kind) >= CI_SEEDS / 10, `only ${summary.faults.get(kind)} ${kind} faults`);
  }
  assert.ok(summary.opsChecked >= CI_SEEDS * 50, `only ${summary.opsChecked} operations checked`);
  assert.ok(summary.opsPending > 0, 'no operation ever timed out, so pending operations went untested');
});

test('a seed replays exactly: same faults, same history', () => {
  const first = runSimulation({ seed: 4242 });
  const second = runSimulation({ seed: 4242 });
  assert.deepEqual(second.history, first.history);
  assert.deepEqual(second.faults.toRecord(), first.faults.toRecord());
  assert.equal(second.eventsProcessed, first.eventsProcessed);
  const other = runSimulation({ seed: 4243 });
  assert.notDeepEqual(other.history, first.history);
});

test('after healing, the final reads of every key come back answered', () => {
  const report = runSimulation({ seed: 7 });
  const finalClient = Math.max(...report.history.map((op) => op.clientId));
  const finalReads = report.history.filter((op) => op.clientId === finalClient);
  assert.deepEqual(new Set(finalReads.map((op) => op.key)), new Set(report.shape.keys));
  assert.ok(finalReads.every((op) => op.kind === 'read' && op.returnTimeNs !== null));
  assert.deepEqual(report.violations, []);
});
