// HashKV: a CRC-32C over the stored history up to a revision, equal for equal
// histories, different otherwise, and the same after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import { EtcdError } from '../../src/errors/etcd-error.js';
import { crc32cUpdate } from '../../src/mvcc/crc32c.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { del, put } from './store-helpers.js';

const isCode = (code: string) => (e: unknown) => e instanceof EtcdError && e.code === code;

async function closeAll(stores: MvccStore[]): Promise<void> {
  for (const s of stores) {
    await s.close();
    await s.backend.close();
  }
}

function history(store: MvccStore, variant = ''): void {
  put(store, 'a', '1');
  put(store, 'b', '1');
  put(store, 'a', `2${variant}`);
  del(store, 'b');
  put(store, 'c', '1');
}

test('crc32c matches the standard Castagnoli check value', () => {
  assert.equal(crc32cUpdate(0, Buffer.from('123456789')), 0xe3069283);
  const split = crc32cUpdate(crc32cUpdate(0, Buffer.from('12345')), Buffer.from('6789'));
  assert.equal(split, 0xe3069283, 'streaming gives the same value');
});

test('stores with the same history agree, a different history does not', async () => {
  const stores = [0, 1, 2].map(() => MvccStore.open(MemoryBackend.open()));
  const [one, two, other] = stores as [MvccStore, MvccStore, MvccStore];
  history(one);
  history(two);
  history(other, 'x');
  const h1 = await one.hashKV(0);
  assert.deepEqual(h1, await two.hashKV(0));
  assert.equal(h1.hashRevision, 6);
  assert.equal(h1.compactRevision, 0);
  assert.notEqual((await other.hashKV(0)).hash, h1.hash);
  assert.equal((await other.hashKV(3)).hash, (await one.hashKV(3)).hash, 'they agree before they diverge');
  await closeAll(stores);
});

test('an empty store hashes to the crc of the bucket name alone', async () => {
  const store = MvccStore.open(MemoryBackend.open());
  assert.deepEqual(await store.hashKV(0), { hash: crc32cUpdate(0, Buffer.from('key')), compactRevision: 0, hashRevision: 1 });
  await closeAll([store]);
});

test('hashing an older revision ignores later writes', async () => {
  const long = MvccStore.open(MemoryBackend.open());
  const short = MvccStore.open(MemoryBackend.open());
  history(long);
  put(long, 'd', 'later');
  history(short);
  assert.equal((await long.hashKV(6)).hash, (await short.hashKV(0)).hash);
  await closeAll([long, short]);
});

test('after the same compaction the hashes still agree; compacted and future revisions throw', async () => {
  const a = MvccStore.open(MemoryBackend.open(), { compactionBatchLimit: 2 });
  const b = MvccStore.open(MemoryBackend.open());
  history(a);
  history(b);
  const before = await a.hashKV(0);
  a.compact(4);
  b.compact(4);
  const afterA = await a.hashKV(0);
  assert.deepEqual(afterA, await b.hashKV(0));
  assert.equal(afterA.compactRevision, 4);
  assert.notEqual(afterA.hash, before.hash, 'the compacted history is no longer hashed');
  await assert.rejects(a.hashKV(4), isCode('Compacted'));
  await assert.rejects(a.hashKV(7), isCode('FutureRev'));
  await closeAll([a, b]);
});

test('writes and a compaction requested while a long hash runs do not change its result', async () => {
  const busy = MvccStore.open(MemoryBackend.open());
  const quiet = MvccStore.open(MemoryBackend.open());
  for (const s of [busy, quiet]) {
    const txn = s.write();
    for (let i = 0; i < 25_000; i++) txn.put(Buffer.from(`k${i}`), Buffer.from('v'), 0n);
    txn.end();
    put(s, 'k1', 'again');
  }
  const hashing = busy.hashKV(0);
  for (let i = 0; i < 5; i++) {
    put(busy, `late${i}`, 'v');
    await new Promise((r) => setImmediate(r));
  }
  const { physical } = busy.compact(3);
  const [got, expected] = await Promise.all([hashing, quiet.hashKV(0)]);
  assert.deepEqual(got, expected);
  await physical;
  await closeAll([busy, quiet]);
});
