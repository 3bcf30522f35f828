// The simulation and checker catch real bugs: servers that answer reads from
// local state or acknowledge writes before they commit are caught within a few
// seeds, and the anomaly is reported as a history violation, with its seed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSimulation } from './cluster-sim.js';
import { runSoak } from './soak-runner.js';
import type { SimVariant } from './sim-options.js';

/** Each broken variant must be caught within this many seeds (measured: usually the first one or two). */
const SEEDS_TO_CATCH_MAX = 20;

function seedsUntilCaught(variant: SimVariant): { caughtAt: number | undefined; kind: string | undefined } {
  const summary = runSoak({ startSeed: 1, seeds: SEEDS_TO_CATCH_MAX, variant, stopAtFirstAnomaly: true });
  const first = summary.anomalies[0];
  return { caughtAt: first?.seed, kind: first?.kind };
}

test('acknowledging writes before they commit is caught as a linearizability violation', () => {
  const { caughtAt, kind } = seedsUntilCaught('ack-before-commit');
  assert.ok(caughtAt !== undefined, `not caught within ${SEEDS_TO_CATCH_MAX} seeds`);
  assert.equal(kind, 'not-linearizable');
});

test('followers answering reads from local state (no ReadIndex) is caught as stale reads', () => {
  const { caughtAt, kind } = seedsUntilCaught('follower-local-reads');
  assert.ok(caughtAt !== undefined, `not caught within ${SEEDS_TO_CATCH_MAX} seeds`);
  assert.equal(kind, 'not-linearizable');
  // Replaying the catching seed with narrowing shows a read as the operation nothing explains.
  const replay = runSimulation({ seed: caughtAt, variant: 'follower-local-reads', explainAnomalies: true });
  assert.equal(replay.check.ok, false);
  if (replay.check.ok !== false) return;
  assert.equal(replay.check.explanation.narrowed, true);
  assert.equal(replay.check.explanation.culprit.kind, 'read');
  assert.deepEqual(replay.violations, [], 'raft itself was fine; only the reads were wrong');
});

test('the correct server on the very seeds that caught the broken ones shows no anomaly', () => {
  for (const variant of ['ack-before-commit', 'follower-local-reads'] as const) {
    const { caughtAt } = seedsUntilCaught(variant);
    assert.ok(caughtAt !== undefined);
    const report = runSimulation({ seed: caughtAt, variant: 'correct' });
    assert.equal(report.anomaly, false, `seed ${caughtAt}`);
  }
});
