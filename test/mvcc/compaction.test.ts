// Compaction as a user sees it: reads below it fail at once, the latest
// versions survive, and the history leaves the backend in bounded batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTick } from 'node:timers/promises';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import type { Backend } from '../../src/backend/backend.js';
import { EtcdError } from '../../src/errors/etcd-error.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { parseRevisionMain, revisionBytes } from '../../src/mvcc/revision.js';
import { ALL, b, del, getAt, keysIn, put } from './store-helpers.js';

const isCode = (code: string) => (e: unknown) => e instanceof EtcdError && e.code === code;

function storedRevisions(backend: Backend): number[] {
  return backend.range('key', revisionBytes(0, 0), undefined, 0).map((e) => parseRevisionMain(e.key));
}

/** a:1@2 a:2@3 b:1@4 del b@5 c:1@6 a:3@7 */
function writeHistory(store: MvccStore): void {
  put(store, 'a', '1');
  put(store, 'a', '2');
  put(store, 'b', '1');
  del(store, 'b');
  put(store, 'c', '1');
  put(store, 'a', '3');
}

test('compaction hides history below it at once and removes it from the backend', async () => {
  const backend = MemoryBackend.open();
  const store = MvccStore.open(backend);
  writeHistory(store);
  const { physical } = store.compact(5);
  assert.equal(store.compactRevision, 5);
  assert.throws(() => store.read().range(b('a'), b(''), { revision: 4, limit: 0, countOnly: false }), isCode('Compacted'));
  assert.equal(getAt(store, 'a', 5), 'a=2 c2 m3 v2', 'the version at the compact revision is kept');
  assert.deepEqual(keysIn(store, ALL.key, ALL.end, 5), ['a'], 'b was deleted before the compaction');
  assert.equal(getAt(store, 'a'), 'a=3 c2 m7 v3');
  await physical;
  assert.deepEqual(storedRevisions(backend), [3, 6, 7]);
  assert.equal(backend.get('meta', b('finishedCompactRev'))?.equals(revisionBytes(5, 0)), true);
  assert.equal(backend.get('meta', b('scheduledCompactRev'))?.equals(revisionBytes(5, 0)), true);
  await store.close();
  await backend.close();
});

test('compacting at or below the compact revision, or in the future, is refused', async () => {
  const backend = MemoryBackend.open();
  const store = MvccStore.open(backend);
  writeHistory(store);
  await store.compact(4).physical;
  assert.throws(() => store.compact(4), isCode('Compacted'));
  assert.throws(() => store.compact(3), isCode('Compacted'));
  assert.throws(() => store.compact(8), isCode('FutureRev'));
  await store.compact(7).physical;
  assert.deepEqual(storedRevisions(backend), [6, 7], 'only the live versions remain');
  await store.close();
  await backend.close();
});

test('physical compaction works in batches and lets other work run between them', async () => {
  const backend = MemoryBackend.open();
  const store = MvccStore.open(backend, { compactionBatchLimit: 10 });
  for (let i = 0; i < 100; i++) put(store, 'hot', String(i));
  const { physical } = store.compact(101);
  let done = false;
  void physical.then(() => {
    done = true;
  });
  const seen = new Set<number>();
  for (let tick = 0; tick < 1000 && !done; tick++) {
    seen.add(storedRevisions(backend).length);
    put(store, 'other', String(tick));
    await nextTick();
  }
  await physical;
  const intermediate = [...seen].filter((n) => n > 1 && n < 100);
  assert.ok(intermediate.length >= 3, `saw partial states ${[...seen].join(',')}`);
  assert.equal(getAt(store, 'hot', 101), 'hot=99 c2 m101 v100');
  await store.close();
  await backend.close();
});

test('a compaction interrupted by a crash finishes at the next start-up', async () => {
  const backend = MemoryBackend.open();
  const store = MvccStore.open(backend, { compactionBatchLimit: 10 });
  for (let i = 0; i < 60; i++) put(store, `k${i % 3}`, String(i));
  del(store, 'k0');
  await store.commit();
  const { physical } = store.compact(50);
  let crashed: MemoryBackend | undefined;
  for (let tick = 0; tick < 1000 && crashed === undefined; tick++) {
    await nextTick();
    const left = storedRevisions(backend.committedCopy()).filter((r) => r <= 50).length;
    if (left > 3 && left < 49) crashed = backend.committedCopy();
  }
  await physical;
  assert.ok(crashed !== undefined, 'caught the compaction half-way');
  assert.equal(crashed.get('meta', b('finishedCompactRev')), undefined);

  const restarted = MvccStore.open(crashed, { compactionBatchLimit: 10 });
  assert.equal(restarted.compactRevision, 50);
  await restarted.physicalCompaction();
  assert.deepEqual(storedRevisions(crashed), storedRevisions(backend));
  assert.equal(crashed.get('meta', b('finishedCompactRev'))?.equals(revisionBytes(50, 0)), true);
  assert.deepEqual(keysIn(restarted, ALL.key, ALL.end), ['k1', 'k2']);
  assert.equal(getAt(restarted, 'k1'), getAt(store, 'k1'));
  await restarted.close();
  await crashed.close();
  await store.close();
  await backend.close();
});

test('a deleted key compacted past its tombstone is gone for good', async () => {
  const backend = MemoryBackend.open();
  const store = MvccStore.open(backend);
  put(store, 'x', '1');
  del(store, 'x');
  put(store, 'y', '1');
  await store.compact(4).physical;
  assert.deepEqual(storedRevisions(backend), [4]);
  assert.equal(getAt(store, 'x'), 'none');
  put(store, 'x', 'again');
  assert.equal(getAt(store, 'x'), 'x=again c5 m5 v1');
  await store.close();
  await backend.close();
});

test('compacting many keys trims the index in chunks with the event loop running between them', async () => {
  const backend = MemoryBackend.open();
  const store = MvccStore.open(backend, { compactionBatchLimit: 5000 });
  const keysTotal = 25_000;
  const fill = store.write();
  for (let i = 0; i < keysTotal; i++) fill.put(b(`k${String(i).padStart(6, '0')}`), b('v'), 0n);
  fill.end();
  del(store, 'k', 'l');
  put(store, 'survivor', 'v');
  assert.equal(store.keyCount, keysTotal + 1);
  let ticks = 0;
  let done = false;
  const { physical } = store.compact(store.currentRevision);
  void physical.then(() => {
    done = true;
  });
  for (let i = 0; i < 10_000 && !done; i++) {
    ticks++;
    await nextTick();
  }
  await physical;
  assert.ok(ticks >= 3, `the loop ran ${ticks} times during compaction`);
  assert.equal(store.keyCount, 1, 'every deleted key left the index');
  assert.deepEqual(storedRevisions(backend), [4]);
  await store.close();
  await backend.close();
});
