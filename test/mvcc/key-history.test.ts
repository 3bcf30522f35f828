// One key's generations under compaction, following etcd's keyIndex rules:
// keep the newest revision at or below the compaction point unless it is a
// tombstone, and drop generations that ended at or before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyHistory } from '../../src/mvcc/key-history.js';

/** puts at 2, 4, tombstone 6; puts 8, 10, tombstone 12; puts 14, 16. */
function threeGenerations(): KeyHistory {
  const h = new KeyHistory();
  h.put(2, 0);
  h.put(4, 0);
  h.tombstone(6, 0);
  h.put(8, 0);
  h.put(10, 0);
  h.tombstone(12, 0);
  h.put(14, 0);
  h.put(16, 1);
  return h;
}

function compacted(atRev: number): { kept: string[]; h: KeyHistory } {
  const h = threeGenerations();
  const kept = new Set<string>();
  h.compact(atRev, kept);
  return { kept: [...kept], h };
}

test('get finds the live put at a revision, with its version and creation', () => {
  const h = threeGenerations();
  assert.equal(h.get(1), undefined);
  assert.deepEqual(h.get(5), { modified: { main: 4, sub: 0 }, created: 2, version: 2 });
  assert.equal(h.get(6), undefined, 'deleted at 6');
  assert.equal(h.get(7), undefined);
  assert.deepEqual(h.get(11), { modified: { main: 10, sub: 0 }, created: 8, version: 2 });
  assert.deepEqual(h.get(100), { modified: { main: 16, sub: 1 }, created: 14, version: 2 });
});

test('compaction keeps the newest put at or below the revision', () => {
  const { kept, h } = compacted(5);
  assert.deepEqual(kept, ['4.0']);
  assert.deepEqual(h.get(5), { modified: { main: 4, sub: 0 }, created: 2, version: 2 }, 'version survives');
  assert.equal(h.get(3), undefined, 'revision 2 is gone');
});

test('compaction at a tombstone drops the whole generation', () => {
  const { kept, h } = compacted(6);
  assert.deepEqual(kept, []);
  assert.equal(h.get(5), undefined);
  assert.deepEqual(h.get(9), { modified: { main: 8, sub: 0 }, created: 8, version: 1 });
});

test('compaction inside a later generation drops the earlier ones', () => {
  assert.deepEqual(compacted(9).kept, ['8.0']);
  assert.deepEqual(compacted(12).kept, []);
  assert.deepEqual(compacted(15).kept, ['14.0']);
  const { kept, h } = compacted(16);
  assert.deepEqual(kept, ['16.1']);
  assert.equal(h.isEmpty(), false);
});

test('a deleted key compacted past its tombstone is empty and can be dropped', () => {
  const h = new KeyHistory();
  h.put(2, 0);
  h.tombstone(3, 0);
  h.compact(3, new Set());
  assert.equal(h.isEmpty(), true);
});

test('keep reports what compact would keep without changing the history', () => {
  const h = threeGenerations();
  const kept = new Set<string>();
  h.keep(11, kept);
  assert.deepEqual([...kept], ['10.0']);
  assert.deepEqual(h.get(3), { modified: { main: 2, sub: 0 }, created: 2, version: 1 });
  const atTombstone = new Set<string>();
  h.keep(12, atTombstone);
  assert.deepEqual([...atTombstone], [], 'a tombstone is never kept');
});
