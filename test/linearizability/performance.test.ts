// The checker must keep up with the simulation: a realistic concurrent history
// (5 clients x 200 operations over 10 keys, some timed out) in well under a second.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkKvHistory, type KvOperation } from '../../src/linearizability/index.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { linearizableHistory } from './support/random-history.js';

const CHECK_TIME_MS_MAX = 1000;
const shape = { clients: 5, opsPerClient: 200, keys: 10, pendingRate: 0.05 };

test('1000 concurrent operations on 10 keys are accepted in well under a second', () => {
  for (const seed of [1, 2, 3]) {
    const history = linearizableHistory(seededRandom(seed), shape);
    assert.equal(history.length, 1000);
    const started = performance.now();
    const result = checkKvHistory(history);
    const elapsedMs = performance.now() - started;
    assert.deepEqual(result, { ok: true }, `seed ${seed}`);
    assert.ok(elapsedMs < CHECK_TIME_MS_MAX, `seed ${seed}: took ${elapsedMs.toFixed(0)} ms`);
  }
});

test('one stale read hidden among 1000 operations is found and pinned down, quickly', () => {
  const history = linearizableHistory(seededRandom(7), shape);
  // The last completed read of a key that was written to before: make it return a long-gone value.
  const victim = [...history].reverse().find((op): op is KvOperation & { kind: 'read' } =>
    op.kind === 'read' && op.output !== null && op.output.value !== null);
  assert.ok(victim !== undefined);
  const tampered = history.map((op) => (op === victim ? { ...victim, output: { value: 'long-gone' } } : op));
  const started = performance.now();
  const result = checkKvHistory(tampered);
  const elapsedMs = performance.now() - started;
  assert.equal(result.ok, false);
  if (result.ok !== false) return;
  assert.equal(result.key, victim.key);
  assert.equal(result.explanation.culprit.invokeTimeNs, victim.invokeTimeNs);
  assert.ok(elapsedMs < CHECK_TIME_MS_MAX, `took ${elapsedMs.toFixed(0)} ms`);
});

/** Generous, because the machine running the suite is shared; typically 0.2 to 0.6 s here. */
const PENDING_HEAVY_CHECK_TIME_MS_MAX = 3000;

test('500 operations on one key, a fifth of which never answered, are still decided quickly', () => {
  const history = linearizableHistory(seededRandom(2), { clients: 5, opsPerClient: 100, keys: 1, pendingRate: 0.2 });
  const pending = history.filter((op) => op.returnTimeNs === null).length;
  assert.ok(pending >= 80, `only ${pending} pending operations`);
  const started = performance.now();
  const result = checkKvHistory(history);
  const elapsedMs = performance.now() - started;
  assert.deepEqual(result, { ok: true });
  assert.ok(elapsedMs < PENDING_HEAVY_CHECK_TIME_MS_MAX, `took ${elapsedMs.toFixed(0)} ms`);
});
