// The B+tree behind the key index and the write overlay, checked against a
// sorted array model through many random inserts and deletes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrderedMap } from '../../src/backend/ordered-map.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('entries come back in byte order whatever the insertion order', () => {
  const map = new OrderedMap<number>();
  const keys = ['b', 'a\x00', 'a', '\xff', 'ab', '\x00'];
  keys.forEach((k, i) => map.set(k, i));
  assert.deepEqual(
    [...map.range('')].map(([k]) => k),
    ['\x00', 'a', 'a\x00', 'ab', 'b', '\xff'],
  );
  assert.equal(map.size, 6);
});

test('a random workload matches a sorted-array model', () => {
  const rand = seeded(7);
  const map = new OrderedMap<number>();
  const model = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) {
    const k = String(Math.floor(rand() * 3000)).padStart(4, '0');
    if (rand() < 0.6) {
      assert.equal(map.set(k, i), !model.has(k));
      model.set(k, i);
    } else {
      assert.equal(map.delete(k), model.delete(k));
    }
  }
  const sorted = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual([...map.range('')], sorted);
  assert.equal(map.size, model.size);
  const inWindow = sorted.filter(([k]) => k >= '1000' && k < '2000');
  assert.deepEqual([...map.range('1000', '2000')], inWindow);
  const before = sorted.filter(([k]) => k < '1500').at(-1);
  assert.deepEqual(map.lastBefore('1500'), before);
});

test('deleting everything leaves an empty map that still works', () => {
  const map = new OrderedMap<string>();
  for (let i = 0; i < 5000; i++) map.set(`k${i}`, `v${i}`);
  for (let i = 0; i < 5000; i++) assert.equal(map.delete(`k${i}`), true);
  assert.equal(map.size, 0);
  assert.deepEqual([...map.range('')], []);
  map.set('x', 'y');
  assert.equal(map.get('x'), 'y');
});

test('forEachInRange stops when the visitor returns false', () => {
  const map = new OrderedMap<number>();
  for (let i = 0; i < 500; i++) map.set(String(i).padStart(3, '0'), i);
  const seen: number[] = [];
  map.forEachInRange('100', '200', (_k, v) => {
    seen.push(v);
    return seen.length < 5;
  });
  assert.deepEqual(seen, [100, 101, 102, 103, 104]);
});
