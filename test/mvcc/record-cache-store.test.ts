// The record cache inside the store: ranges fill it and are then served from it with
// the same bytes, reads stay right across overwrites, deletes and compaction, every
// store has its own, and installing a leader's snapshot whose revisions collide with
// cached ones serves the snapshot's records, not the cached ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbBackend } from '../../src/backend/lmdb-backend.js';
import { EtcdError } from '../../src/errors/etcd-error.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { buildMemberSnapshot, installMemberSnapshot } from '../../src/server/install-snapshot.js';
import { ALL, del, getAt, put } from './store-helpers.js';

const ENCODED_AT_HEAD = { revision: 0, limit: 0, countOnly: false, encoded: true };
const CONF_STATE = { voters: [1n], learners: [] };

async function withStores(count: number, fn: (stores: MvccStore[]) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-record-cache-'));
  const stores = Array.from({ length: count }, (_, i) => MvccStore.open(LmdbBackend.open(join(dir, `db${i}`))));
  try {
    await fn(stores);
  } finally {
    for (const store of stores) {
      await store.close();
      await store.backend.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every live key's record bytes, as the gRPC range path packs them. */
function encodedRange(store: MvccStore): Buffer {
  const records = store.read().range(ALL.key, ALL.end, ENCODED_AT_HEAD).records;
  assert.ok(records !== undefined);
  const out = Buffer.alloc(records.byteLength);
  records.copyTo(out, 0);
  records.release();
  return out;
}

test('a repeated range is served from the cache with the same bytes', () =>
  withStores(1, async ([store]) => {
    assert.ok(store !== undefined);
    for (let i = 0; i < 50; i++) put(store, `k${String(i).padStart(2, '0')}`, `value-${i}`);
    const first = encodedRange(store);
    assert.equal(store.records.size, 0, 'a record read once is not cached');
    assert.deepEqual(encodedRange(store), first);
    assert.equal(store.records.size, 50, 'a record read twice is');
    assert.equal(store.records.hits, 0);
    const third = encodedRange(store);
    assert.equal(store.records.hits, 50, 'the third range read nothing from the backend');
    assert.deepEqual(third, first);
    // Decoded ranges share the cache.
    assert.equal(getAt(store, 'k07'), 'k07=value-7 c9 m9 v1');
    assert.equal(store.records.hits, 51);
    // Decoded ranges fill it too.
    put(store, 'late', 'x');
    for (let i = 0; i < 3; i++) assert.equal(getAt(store, 'late'), 'late=x c52 m52 v1');
    assert.equal(store.records.hits, 52);
  }));

test('reads through a warm cache follow overwrites, deletes and compaction', () =>
  withStores(1, async ([store]) => {
    assert.ok(store !== undefined);
    put(store, 'a', '1'); // 2
    put(store, 'b', '1'); // 3
    assert.equal(getAt(store, 'a'), 'a=1 c2 m2 v1');
    encodedRange(store);
    put(store, 'a', '2'); // 4
    del(store, 'b'); // 5
    assert.equal(getAt(store, 'a'), 'a=2 c2 m4 v2');
    assert.equal(getAt(store, 'b'), 'none');
    assert.equal(getAt(store, 'a', 3), 'a=1 c2 m2 v1', 'history is still there before compaction');
    await store.compact(4).physical;
    assert.equal(getAt(store, 'a'), 'a=2 c2 m4 v2');
    assert.equal(getAt(store, 'a', 4), 'a=2 c2 m4 v2');
    assert.throws(() => getAt(store, 'a', 3), (e: unknown) => e instanceof EtcdError && e.code === 'Compacted');
    put(store, 'b', '3'); // 6
    assert.equal(encodedRange(store).includes(Buffer.from('3')), true);
    assert.deepEqual(
      store.read().range(ALL.key, ALL.end, { revision: 0, limit: 0, countOnly: false }).kvs.map((kv) => `${kv.key}=${kv.value}`),
      ['a=2', 'b=3'],
    );
  }));

test('two stores in one process never share cached records', () =>
  withStores(2, async ([one, two]) => {
    assert.ok(one !== undefined && two !== undefined);
    put(one, 'k', 'from-one');
    put(two, 'k', 'from-two');
    assert.equal(getAt(one, 'k'), 'k=from-one c2 m2 v1');
    assert.equal(getAt(two, 'k'), 'k=from-two c2 m2 v1');
  }));

test("a leader's snapshot installed over cached revisions is what reads see", () =>
  withStores(2, async ([follower, leader]) => {
    assert.ok(follower !== undefined && leader !== undefined);
    // The same revisions hold different records on each side.
    for (let i = 0; i < 10; i++) put(follower, `k${i}`, `old-${i}`);
    for (let i = 0; i < 10; i++) put(leader, `k${i}`, `new-${i}`);
    put(leader, 'k0', 'newest');
    await leader.commit();
    assert.equal(getAt(follower, 'k3'), 'k3=old-3 c5 m5 v1');
    encodedRange(follower);
    encodedRange(follower);
    assert.equal(follower.records.size, 10, 'the follower cached every record');

    const snapshot = await buildMemberSnapshot(leader.backend, CONF_STATE);
    await follower.beginReplace();
    await installMemberSnapshot(follower.backend, snapshot.data);
    follower.reloadFromBackend();

    assert.equal(getAt(follower, 'k3'), 'k3=new-3 c5 m5 v1');
    assert.equal(getAt(follower, 'k0'), 'k0=newest c2 m12 v2');
    assert.deepEqual(encodedRange(follower), encodedRange(leader));
  }));
