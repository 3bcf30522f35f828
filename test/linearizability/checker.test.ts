// Hand-written histories, each a small story of what clients saw, checked
// against what a single register per key allows.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkKvHistory, type CheckResult } from '../../src/linearizability/index.js';
import { cas, del, read, write } from './support/ops.js';

function assertViolation(result: CheckResult, key: string): string {
  assert.equal(result.ok, false, 'expected the history to be rejected');
  if (result.ok !== false) throw new Error('unreachable');
  assert.equal(result.key, key);
  return result.explanation.text;
}

describe('histories that are linearizable', () => {
  test('sequential writes and reads on one key', () => {
    const result = checkKvHistory([
      read(1, 'k', null, [0, 1]),
      write(1, 'k', 'a', [2, 3]),
      read(2, 'k', 'a', [4, 5]),
      write(2, 'k', 'b', [6, 7]),
      read(1, 'k', 'b', [8, 9]),
      del(1, 'k', true, [10, 11]),
      read(2, 'k', null, [12, 13]),
      del(2, 'k', false, [14, 15]),
    ]);
    assert.deepEqual(result, { ok: true });
  });

  test('a read overlapping a write may see either the old or the new value', () => {
    const base = [write(1, 'k', 'old', [0, 1]), write(1, 'k', 'new', [10, 20])];
    assert.deepEqual(checkKvHistory([...base, read(2, 'k', 'old', [12, 14])]), { ok: true });
    assert.deepEqual(checkKvHistory([...base, read(2, 'k', 'new', [12, 14])]), { ok: true });
  });

  test('concurrent reads may see new then old only if their order allows it', () => {
    // r1 finishes before r2 starts, but both overlap the write: r1 sees new, r2 old is illegal...
    const illegal = [
      write(1, 'k', 'old', [0, 1]),
      write(1, 'k', 'new', [10, 40]),
      read(2, 'k', 'new', [12, 14]),
      read(3, 'k', 'old', [16, 18]),
    ];
    assertViolation(checkKvHistory(illegal), 'k');
    // ...while the same answers from overlapping reads are fine: order old-read, write, new-read.
    const legal = [
      write(1, 'k', 'old', [0, 1]),
      write(1, 'k', 'new', [10, 40]),
      read(2, 'k', 'new', [12, 18]),
      read(3, 'k', 'old', [14, 20]),
    ];
    assert.deepEqual(checkKvHistory(legal), { ok: true });
  });

  test('two racing compare-and-sets: exactly one may win', () => {
    const result = checkKvHistory([
      write(1, 'lock', 'free', [0, 1]),
      cas(2, 'lock', 'free', 'held-by-2', false, [5, 15]),
      cas(3, 'lock', 'free', 'held-by-3', true, [6, 14]),
      read(1, 'lock', 'held-by-3', [20, 21]),
    ]);
    assert.deepEqual(result, { ok: true });
  });

  test('operations on different keys do not constrain each other', () => {
    const result = checkKvHistory([
      write(1, 'a', '1', [0, 1]),
      write(2, 'b', '2', [0, 1]),
      read(3, 'a', '1', [2, 3]),
      read(3, 'b', '2', [2, 3]),
    ]);
    assert.deepEqual(result, { ok: true });
  });

  test('operations that only touch at one instant count as concurrent', () => {
    // The write returns at 10 and the read is invoked at 10: either order is allowed.
    const result = checkKvHistory([write(1, 'k', 'a', [0, 10]), read(2, 'k', null, [10, 12])]);
    assert.deepEqual(result, { ok: true });
  });
});

describe('histories that are not linearizable', () => {
  test('a stale read: the value read was overwritten before the read began', () => {
    const text = assertViolation(checkKvHistory([
      write(1, 'k', 'a', [0, 1]),
      write(1, 'k', 'b', [2, 3]),
      read(2, 'k', 'a', [4, 5]),
    ]), 'k');
    assert.match(text, /> client 2 read k -> "a"/);
  });

  test('a lost write: an acknowledged write is never seen, yet later reads see its predecessor', () => {
    const text = assertViolation(checkKvHistory([
      write(1, 'k', 'v1', [0, 1]),
      write(2, 'k', 'v2', [2, 3]),
      read(3, 'k', 'v1', [10, 11]),
      read(3, 'k', 'v1', [12, 13]),
    ]), 'k');
    // The shortest failing prefix ends at the first stale read; the second one is not needed.
    assert.match(text, /> client 3 read k -> "v1" \[10, 11\]/);
    assert.doesNotMatch(text, /\[12, 13\]/);
  });

  test('a compare-and-set that succeeded twice from the same expected value', () => {
    assertViolation(checkKvHistory([
      write(1, 'lock', 'free', [0, 1]),
      cas(2, 'lock', 'free', 'held-by-2', true, [5, 15]),
      cas(3, 'lock', 'free', 'held-by-3', true, [6, 14]),
    ]), 'lock');
  });

  test('a compare-and-set that failed although the value matched', () => {
    assertViolation(checkKvHistory([
      write(1, 'k', 'x', [0, 1]),
      cas(2, 'k', 'x', 'y', false, [2, 3]),
    ]), 'k');
  });

  test('a read of a value nobody ever wrote', () => {
    const text = assertViolation(checkKvHistory([
      write(1, 'k', 'a', [0, 1]),
      read(2, 'k', 'ghost', [0, 5]),
    ]), 'k');
    assert.match(text, /ghost/);
  });

  test('a delete that reports the key absent right after it was written', () => {
    assertViolation(checkKvHistory([write(1, 'k', 'a', [0, 1]), del(2, 'k', false, [2, 3])]), 'k');
  });

  test('only the broken key is reported among healthy ones', () => {
    const result = checkKvHistory([
      write(1, 'fine', 'x', [0, 1]),
      read(2, 'fine', 'x', [2, 3]),
      write(1, 'broken', 'x', [0, 1]),
      read(2, 'broken', null, [2, 3]),
    ]);
    assertViolation(result, 'broken');
  });
});

describe('operations that never answered', () => {
  test('a timed-out write may have taken effect: a later read may see it', () => {
    const result = checkKvHistory([
      write(1, 'k', 'a', [0, 1]),
      write(2, 'k', 'maybe', [2, null]),
      read(3, 'k', 'maybe', [50, 51]),
    ]);
    assert.deepEqual(result, { ok: true });
  });

  test('a timed-out write may never take effect: later reads may keep the old value', () => {
    const result = checkKvHistory([
      write(1, 'k', 'a', [0, 1]),
      write(2, 'k', 'maybe', [2, null]),
      read(3, 'k', 'a', [50, 51]),
    ]);
    assert.deepEqual(result, { ok: true });
  });

  test('a timed-out write takes effect once at most: it cannot reappear after being overwritten', () => {
    assertViolation(checkKvHistory([
      write(2, 'k', 'maybe', [0, null]),
      read(3, 'k', 'maybe', [10, 11]),
      write(1, 'k', 'later', [20, 21]),
      read(3, 'k', 'maybe', [30, 31]),
    ]), 'k');
  });

  test('a pending operation cannot take effect before it was invoked', () => {
    assertViolation(checkKvHistory([
      read(3, 'k', 'early', [0, 1]),
      write(2, 'k', 'early', [5, null]),
    ]), 'k');
  });

  test('a pending compare-and-set applies only if the value matched when it took effect', () => {
    const history = [
      write(1, 'k', 'x', [0, 1]),
      cas(2, 'k', 'x', 'y', false, [2, null]),
    ];
    assert.deepEqual(checkKvHistory([...history, read(3, 'k', 'y', [10, 11])]), { ok: true });
    assert.deepEqual(checkKvHistory([...history, read(3, 'k', 'x', [10, 11])]), { ok: true });
    assertViolation(checkKvHistory([
      write(1, 'k', 'z', [0, 1]),
      cas(2, 'k', 'x', 'y', false, [2, null]),
      read(3, 'k', 'y', [10, 11]),
    ]), 'k');
  });

  test('a read that never answered constrains nothing', () => {
    const result = checkKvHistory([write(1, 'k', 'a', [0, 1]), read(2, 'k', 'nonsense', [2, null])]);
    assert.deepEqual(result, { ok: true });
  });
});

describe('the search budget', () => {
  test('a hard history with a tiny budget is "unknown", never a verdict', () => {
    const concurrentWrites = Array.from({ length: 12 }, (_, i) => write(i, 'k', `v${i}`, [0, 100]));
    const result = checkKvHistory([...concurrentWrites, read(99, 'k', 'v7', [200, 201])], { searchStepsMax: 5 });
    assert.deepEqual(result, { ok: 'unknown', reason: 'budget', key: 'k' });
  });
});
