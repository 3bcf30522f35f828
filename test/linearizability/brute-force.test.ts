// Cross-checks the search against the definition itself: on small random
// histories, try every order of every subset of the pending operations.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkKvHistory, stepRegister, type KvOperation, type KvValue } from '../../src/linearizability/index.js';
import { seededRandom, type SeededRandom } from '../../src/util/seeded-random.js';
import { linearizableHistory } from './support/random-history.js';

const SEEDS = 1500;

/** Whether some order of `ops` (pending ones optional) respects real time and the register. */
function bruteForceLinearizable(ops: readonly KvOperation[]): boolean {
  const candidates = ops.filter((op) => !(op.kind === 'read' && op.output === null));
  const used = new Array<boolean>(candidates.length).fill(false);
  const mustPrecede = (a: KvOperation, b: KvOperation): boolean => a.returnTimeNs !== null && a.returnTimeNs < b.invokeTimeNs;
  const extend = (state: KvValue, placed: number): boolean => {
    const allReturnedPlaced = candidates.every((op, i) => used[i] === true || op.returnTimeNs === null);
    if (allReturnedPlaced) return true; // pending leftovers simply never took effect
    for (let i = 0; i < candidates.length; i++) {
      const op = candidates[i] as KvOperation;
      if (used[i] === true) continue;
      // Everything that finished before `op` started must already be placed.
      if (candidates.some((other, j) => used[j] !== true && j !== i && mustPrecede(other, op))) continue;
      const after = stepRegister(state, op);
      if (after === undefined) continue;
      used[i] = true;
      const found = extend(after, placed + 1);
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return extend(null, 0);
}

/** Changes one answer to a plausible wrong one, as a buggy store might. */
function corrupt(ops: KvOperation[], random: SeededRandom): KvOperation[] {
  const answered = ops.flatMap((op, i) => (op.output === null ? [] : [i]));
  if (answered.length === 0) return ops;
  const i = answered[random.int(0, answered.length - 1)] ?? 0;
  const op = ops[i] as KvOperation;
  if (op.output === null) return ops;
  const values: KvValue[] = [null, ...ops.flatMap((o) => (o.kind === 'write' || o.kind === 'cas' ? [o.input.value] : []))];
  let changed: KvOperation = op;
  switch (op.kind) {
    case 'read': changed = { ...op, output: { value: values[random.int(0, values.length - 1)] ?? null } }; break;
    case 'cas': changed = { ...op, output: { ok: !op.output.ok } }; break;
    case 'delete': changed = { ...op, output: { existed: !op.output.existed } }; break;
    case 'write': break;
  }
  return ops.map((o, j) => (j === i ? changed : o));
}

const shapes = [
  { clients: 3, opsPerClient: 2, keys: 1, pendingRate: 0.2 },
  // Many operations that never answered: the search's pruning of pending operations is on trial.
  { clients: 4, opsPerClient: 2, keys: 1, pendingRate: 0.5 },
];

for (const shape of shapes) {
  const size = `${shape.clients}x${shape.opsPerClient}, ${shape.pendingRate * 100}% pending`;
  test(`on ${SEEDS} small random histories (${size}) the checker agrees with exhaustive search`, () => {
    let linearizable = 0;
    let violations = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = seededRandom(seed);
      const clean = linearizableHistory(random, shape);
      const ops = random.next() < 0.6 ? corrupt(clean, random) : clean;
      const expected = bruteForceLinearizable(ops);
      const result = checkKvHistory(ops);
      assert.equal(result.ok, expected, `seed ${seed}: checker says ${JSON.stringify(result.ok)}, brute force ${expected}`);
      if (expected) linearizable++;
      else violations++;
    }
    // Both verdicts must be exercised, or the agreement means little.
    assert.ok(linearizable > SEEDS / 5, `only ${linearizable} linearizable histories`);
    assert.ok(violations > SEEDS / 10, `only ${violations} violations`);
  });
}
