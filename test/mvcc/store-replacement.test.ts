// Replacing the backend's contents under a running store (a snapshot from the leader):
// between beginReplace and reloadFromBackend nothing reads the half-replaced records,
// compactions stop, hashes wait, and a failed replacement is never read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTick } from 'node:timers/promises';
import { BUCKET_NAMES, type Backend } from '../../src/backend/backend.js';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { parseRevisionMain, revisionBytes } from '../../src/mvcc/revision.js';
import { writeScheduledCompact } from '../../src/mvcc/store-meta.js';
import { getAt, put } from './store-helpers.js';

/** What an install does, in one step: every bucket of `target` becomes `source`'s. */
function copyContents(source: Backend, target: Backend): void {
  for (const bucket of BUCKET_NAMES) {
    for (const entry of target.range(bucket, Buffer.alloc(0), undefined, 0)) target.delete(bucket, entry.key);
    for (const entry of source.range(bucket, Buffer.alloc(0), undefined, 0)) target.put(bucket, entry.key, entry.value);
  }
}

function storedRevisions(backend: Backend): number[] {
  return backend.range('key', revisionBytes(0, 0), undefined, 0).map((entry) => parseRevisionMain(entry.key));
}

/** A store whose key `k` went through `versions` values, one revision each. */
function storeWithHistory(versions: number, compactionBatchLimit = 1000): { store: MvccStore; backend: Backend } {
  const backend = MemoryBackend.open();
  const store = MvccStore.open(backend, { compactionBatchLimit });
  for (let i = 1; i <= versions; i++) put(store, 'k', `v${i}`);
  return { store, backend };
}

test('reads wait while the backend is replaced, then see the new contents', async () => {
  const { store, backend } = storeWithHistory(3);
  const leader = storeWithHistory(5);
  await store.beginReplace();
  assert.equal(store.readable, false);
  assert.throws(() => store.read(), /read while the backend is being replaced/);
  let waited = false;
  const reader = store.whenReadable().then(() => {
    waited = true;
    return getAt(store, 'k');
  });
  copyContents(leader.backend, backend);
  await nextTick();
  assert.equal(waited, false, 'nobody reads before the reload');
  store.reloadFromBackend();
  assert.equal(store.readable, true);
  assert.equal(await reader, 'k=v5 c2 m6 v5');
});

test('a hash asked for during a replacement hashes the new contents', async () => {
  const { store, backend } = storeWithHistory(3);
  const leader = storeWithHistory(5);
  const expected = await leader.store.hashKV(0);
  await store.beginReplace();
  const hash = store.hashKV(0);
  copyContents(leader.backend, backend);
  store.reloadFromBackend();
  assert.deepEqual(await hash, expected);
});

test('a running compaction stops for a replacement; the new contents\' unfinished one resumes after it', async () => {
  const versions = 40;
  const { store, backend } = storeWithHistory(versions, 2);
  const stopped = store.compact(versions).physical;
  await store.beginReplace();
  await stopped;
  // It had not reached its first batch: it removes nothing from the contents being replaced.
  assert.equal(storedRevisions(backend).length, versions, 'the compaction stopped');

  // The leader scheduled a compaction and was copied before it removed anything.
  const leader = storeWithHistory(versions);
  writeScheduledCompact(leader.backend, 30);
  copyContents(leader.backend, backend);
  store.reloadFromBackend();
  await store.physicalCompaction();
  // k's versions are at revisions 2..41: 30 is the newest at the compaction, so it stays.
  assert.deepEqual(storedRevisions(backend), Array.from({ length: versions + 2 - 30 }, (_, i) => 30 + i));
  assert.equal(store.compactRevision, 30);
});

test('a replacement that failed half way is never read', async () => {
  const { store } = storeWithHistory(3);
  await store.beginReplace();
  const waiting = store.whenReadable();
  store.abandonReplace(new Error('disk full'));
  await assert.rejects(waiting, /disk full/);
  await assert.rejects(store.whenReadable(), /disk full/);
  await assert.rejects(store.hashKV(0), /disk full/);
  assert.equal(store.readable, false);
});
