// The store on lmdb: what was committed comes back after a restart (keys,
// revisions, compaction, applied index, hash) and what was not never appears.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbBackend } from '../../src/backend/lmdb-backend.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { ALL, b, del, getAt, keysIn, put } from './store-helpers.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-mvcc-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function closeStore(store: MvccStore): Promise<void> {
  await store.close();
  await store.backend.close();
}

test('a reopened store has the same keys, revisions, compaction, applied index and hash', () =>
  withDir(async (dir) => {
    const path = join(dir, 'member', 'snap', 'db');
    const store = MvccStore.open(LmdbBackend.open(path));
    for (let i = 1; i <= 5; i++) put(store, 'counter', String(i)); // 2..6
    put(store, 'gone', 'x'); // 7
    del(store, 'gone'); // 8
    put(store, 'other', 'y'); // 9
    store.setConsistentIndex(42, 3);
    await store.compact(7).physical;
    const hash = await store.hashKV(0);
    await closeStore(store);

    const reopened = MvccStore.open(LmdbBackend.open(path));
    assert.equal(reopened.currentRevision, 9);
    assert.equal(reopened.compactRevision, 7);
    assert.deepEqual(reopened.consistentIndex(), { index: 42, term: 3 });
    assert.deepEqual(keysIn(reopened, ALL.key, ALL.end), ['counter', 'other']);
    assert.equal(getAt(reopened, 'counter'), 'counter=5 c2 m6 v5', 'version and creation survive compaction');
    assert.deepEqual(await reopened.hashKV(0), hash);
    put(reopened, 'counter', '6');
    assert.equal(getAt(reopened, 'counter'), 'counter=6 c2 m10 v6');
    await closeStore(reopened);
  }));

test('a store whose every write was compacted away keeps its revision', () =>
  withDir(async (dir) => {
    const path = join(dir, 'db');
    const store = MvccStore.open(LmdbBackend.open(path));
    put(store, 'a', '1');
    del(store, 'a');
    await store.compact(3).physical;
    await closeStore(store);
    const reopened = MvccStore.open(LmdbBackend.open(path));
    assert.equal(reopened.currentRevision, 3);
    assert.equal(put(reopened, 'b', '1'), 4);
    await closeStore(reopened);
  }));

test('writes and the applied index that were not committed are absent after a crash', () =>
  withDir(async (dir) => {
    const path = join(dir, 'db');
    const store = MvccStore.open(LmdbBackend.open(path, { batchIntervalMs: 60_000 }));
    put(store, 'a', '1');
    store.setConsistentIndex(10, 2);
    await store.commit();
    put(store, 'a', '2');
    put(store, 'b', '1');
    store.setConsistentIndex(12, 2);
    // The file as a crash now would leave it: the second batch is only in memory.
    copyFileSync(path, join(dir, 'crashed'));
    await closeStore(store);

    const crashed = MvccStore.open(LmdbBackend.open(join(dir, 'crashed')));
    assert.equal(crashed.currentRevision, 2);
    assert.deepEqual(crashed.consistentIndex(), { index: 10, term: 2 });
    assert.deepEqual(keysIn(crashed, ALL.key, ALL.end), ['a']);
    assert.equal(getAt(crashed, 'a'), 'a=1 c2 m2 v1');
    await closeStore(crashed);

    const clean = MvccStore.open(LmdbBackend.open(path));
    assert.equal(clean.currentRevision, 4);
    assert.deepEqual(clean.consistentIndex(), { index: 12, term: 2 });
    assert.equal(clean.read().range(b('b'), b(''), { revision: 0, limit: 0, countOnly: false }).count, 1);
    await closeStore(clean);
  }));

test('a batch that fills up mid-txn commits only after the txn and its applied index', async () => {
  const { MemoryBackend } = await import('../../src/backend/memory-backend.js');
  const backend = MemoryBackend.open({ batchWritesMax: 3 });
  const store = MvccStore.open(backend);
  const txn = store.write();
  for (let i = 0; i < 5; i++) txn.put(b(`k${i}`), b('v'), 0n);
  txn.end();
  store.setConsistentIndex(7, 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(backend.pendingWrites, 0, 'the batch limit committed it');
  const crashed = MvccStore.open(backend.committedCopy());
  assert.equal(crashed.currentRevision, 2);
  assert.equal(crashed.read().range(ALL.key, ALL.end, { revision: 0, limit: 0, countOnly: true }).count, 5);
  assert.deepEqual(crashed.consistentIndex(), { index: 7, term: 1 });
  await closeStore(crashed);
  await closeStore(store);
});

test('after a restart the keys still attached to leases can be listed for the lessor', () =>
  withDir(async (dir) => {
    const path = join(dir, 'db');
    const store = MvccStore.open(LmdbBackend.open(path));
    put(store, 'session/a', '1', 100n);
    put(store, 'session/b', '1', 200n);
    put(store, 'plain', '1');
    put(store, 'session/b', 'detached'); // a put without a lease detaches it
    put(store, 'session/c', '1', 300n);
    del(store, 'session/c');
    await closeStore(store);

    const reopened = MvccStore.open(LmdbBackend.open(path));
    const leased: string[] = [];
    reopened.forEachLeasedKey((key, lease) => leased.push(`${key.toString()}:${lease}`));
    assert.deepEqual(leased, ['session/a:100']);
    assert.equal(reopened.keyCount, 4, 'the deleted key is indexed until compaction');
    await closeStore(reopened);
  }));
