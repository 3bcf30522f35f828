// What a client sees of revisions, versions, tombstones, ranges and txns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import { Event_EventType } from '../../src/generated/mvccpb/kv.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { EtcdError } from '../../src/errors/etcd-error.js';
import { ALL, AT_HEAD, FROM_KEY, NONE, at, b, brief, del, getAt, keysIn, put } from './store-helpers.js';

async function withStore(fn: (store: MvccStore) => void | Promise<void>): Promise<void> {
  const backend = MemoryBackend.open();
  const store = MvccStore.open(backend);
  try {
    await fn(store);
  } finally {
    await store.close();
    await backend.close();
  }
}

test('an empty store is at revision 1 and the first write is revision 2', () =>
  withStore((store) => {
    assert.equal(store.currentRevision, 1);
    assert.equal(store.compactRevision, 0);
    assert.equal(put(store, 'a', '1'), 2);
    assert.equal(getAt(store, 'a'), 'a=1 c2 m2 v1');
  }));

test('versions count puts, a delete ends the generation and re-creation starts over', () =>
  withStore((store) => {
    put(store, 'k', 'v1');
    put(store, 'k', 'v2');
    assert.equal(getAt(store, 'k'), 'k=v2 c2 m3 v2');
    assert.equal(del(store, 'k'), 4);
    assert.equal(getAt(store, 'k'), 'none');
    put(store, 'k', 'v3');
    assert.equal(getAt(store, 'k'), 'k=v3 c5 m5 v1');
    assert.equal(getAt(store, 'k', 3), 'k=v2 c2 m3 v2', 'history is still readable');
    assert.equal(getAt(store, 'k', 4), 'none', 'deleted at revision 4');
  }));

test('deleting a missing key or writing nothing keeps the revision', () =>
  withStore((store) => {
    put(store, 'a', '1');
    assert.equal(del(store, 'zzz'), 2);
    const txn = store.write();
    assert.equal(txn.deleteRange(b('nope'), NONE), 0);
    assert.deepEqual(txn.end(), { revision: 2, events: [] });
    assert.equal(store.currentRevision, 2);
  }));

test('changes in one txn share a main revision with subs in order, and see each other', () =>
  withStore((store) => {
    put(store, 'a', '0');
    const txn = store.write();
    txn.put(b('a'), b('1'), 0n);
    assert.equal(txn.revision, 3, 'after the first change the txn reads at its own revision');
    assert.equal(brief(txn.range(b('a'), NONE, AT_HEAD).kvs[0]), 'a=1 c2 m3 v2');
    txn.put(b('b'), b('2'), 7n);
    txn.put(b('a'), b('3'), 0n);
    assert.equal(txn.deleteRange(b('b'), NONE), 1);
    const outside = store.read();
    assert.equal(outside.revision, 2, 'other readers do not see an open txn');
    assert.equal(brief(outside.range(b('a'), NONE, AT_HEAD).kvs[0]), 'a=0 c2 m2 v1');
    const result = txn.end();
    assert.equal(result.revision, 3);
    assert.deepEqual(
      result.events.map((e) => `${e.type === Event_EventType.PUT ? 'PUT' : 'DEL'} ${brief(e.kv)} prev ${brief(e.prevKv)}`),
      [
        'PUT a=1 c2 m3 v2 prev a=0 c2 m2 v1',
        'PUT b=2 c3 m3 v1 prev none',
        'PUT a=3 c2 m3 v3 prev a=1 c2 m3 v2',
        'DEL b= c0 m3 v0 prev b=2 c3 m3 v1',
      ],
    );
    assert.equal(result.events[1]?.kv?.lease, 7n);
    assert.equal(getAt(store, 'a'), 'a=3 c2 m3 v3');
    assert.equal(getAt(store, 'b'), 'none');
  }));

test('only one write txn may be open at a time', () =>
  withStore((store) => {
    const txn = store.write();
    assert.throws(() => store.write(), /already open/);
    txn.end();
    store.write().end();
  }));

test('single, range, prefix, from-key and all-keys ranges return live keys in byte order', () =>
  withStore((store) => {
    for (const k of ['foo', 'foo/a', 'foo/b', 'fop', 'a', '\xff']) put(store, k, 'v');
    del(store, 'foo/b');
    assert.deepEqual(keysIn(store, b('foo'), NONE), ['foo']);
    assert.deepEqual(keysIn(store, b('foo'), b('fop')), ['foo', 'foo/a']);
    assert.deepEqual(keysIn(store, b('foo/'), b('foo0')), ['foo/a'], 'prefix foo/');
    assert.deepEqual(keysIn(store, b('foo/a'), FROM_KEY), ['foo/a', 'fop', '\xff']);
    assert.deepEqual(keysIn(store, ALL.key, ALL.end), ['a', 'foo', 'foo/a', 'fop', '\xff']);
    assert.deepEqual(keysIn(store, b('z'), b('a')), [], 'an inverted range is empty');
    assert.deepEqual(keysIn(store, ALL.key, ALL.end, 7), ['a', 'foo', 'foo/a', 'foo/b', 'fop', '\xff'], 'before the delete at 8');
  }));

test('limit caps the keys returned while count reports them all', () =>
  withStore((store) => {
    for (let i = 0; i < 10; i++) put(store, `k${i}`, 'v');
    const limited = store.read().range(ALL.key, ALL.end, { revision: 0, limit: 3, countOnly: false });
    assert.deepEqual(limited.kvs.map((kv) => kv.key.toString()), ['k0', 'k1', 'k2']);
    assert.equal(limited.count, 10);
    assert.equal(limited.revision, 11);
    const counted = store.read().range(ALL.key, ALL.end, { revision: 0, limit: 0, countOnly: true });
    assert.deepEqual(counted.kvs, []);
    assert.equal(counted.count, 10);
  }));

test('historical reads see the past; future revisions throw FutureRev', () =>
  withStore((store) => {
    put(store, 'a', '1');
    put(store, 'b', '1');
    put(store, 'a', '2');
    assert.deepEqual(keysIn(store, ALL.key, ALL.end, 2), ['a']);
    assert.equal(getAt(store, 'a', 3), 'a=1 c2 m2 v1');
    const r = store.read().range(b('a'), NONE, at(2));
    assert.equal(r.revision, 4, 'the header revision is the current one, as etcd');
    assert.throws(
      () => store.read().range(b('a'), NONE, at(5)),
      (e: unknown) => e instanceof EtcdError && e.code === 'FutureRev',
    );
  }));

test('a read view keeps its revision while later writes land', () =>
  withStore((store) => {
    put(store, 'a', '1');
    const view = store.read();
    put(store, 'a', '2');
    put(store, 'b', '1');
    assert.equal(view.revision, 2);
    assert.deepEqual(view.range(ALL.key, ALL.end, AT_HEAD).kvs.map(brief), ['a=1 c2 m2 v1']);
  }));

test('deleteRange removes every live key in the range under one revision', () =>
  withStore((store) => {
    for (const k of ['p/1', 'p/2', 'p/3', 'q']) put(store, k, 'v');
    const txn = store.write();
    assert.equal(txn.deleteRange(b('p/'), b('p0')), 3);
    const result = txn.end();
    assert.equal(result.revision, 6);
    assert.deepEqual(result.events.map((e) => e.kv?.key.toString()), ['p/1', 'p/2', 'p/3']);
    assert.deepEqual(keysIn(store, ALL.key, ALL.end), ['q']);
  }));

test('records in the key bucket are byte for byte etcd\'s: revision keys and KeyValue protobufs', async () => {
  const backend = MemoryBackend.open();
  const store = MvccStore.open(backend);
  const txn = store.write();
  txn.put(b('a'), b('1'), 0n);
  txn.put(b('b'), b('2'), 5n);
  txn.end();
  del(store, 'a');
  const records = backend.range('key', Buffer.alloc(0), undefined, 0);
  assert.deepEqual(
    records.map((r) => r.key.toString('hex')),
    [
      '0000000000000002' + '5f' + '0000000000000000',
      '0000000000000002' + '5f' + '0000000000000001',
      '0000000000000003' + '5f' + '0000000000000000' + '74',
    ],
  );
  // key=1 create_revision=2 mod_revision=3 version=4 value=5 lease=6, zero fields omitted
  assert.equal(records[0]?.value.toString('hex'), '0a0161' + '1002' + '1802' + '2001' + '2a0131');
  assert.equal(records[1]?.value.toString('hex'), '0a0162' + '1002' + '1802' + '2001' + '2a0132' + '3005');
  assert.equal(records[2]?.value.toString('hex'), '0a0161' + '1803', 'a tombstone holds only key and mod_revision');
  await store.close();
  await backend.close();
});
