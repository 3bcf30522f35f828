// Watch catch-up from history: events in revision order, filtered by key range,
// in batches that never split a revision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import { EtcdError } from '../../src/errors/etcd-error.js';
import { Event_EventType, type Event } from '../../src/generated/mvccpb/kv.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { ALL, FROM_KEY, NONE, b, del, put } from './store-helpers.js';

function show(events: Event[]): string[] {
  return events.map((e) => {
    const kind = e.type === Event_EventType.PUT ? 'PUT' : 'DEL';
    const prev = e.prevKv === undefined ? '' : ` (was ${e.prevKv.value.toString()})`;
    return `${kind} ${e.kv?.key.toString()}@${e.kv?.modRevision}${e.kv?.value.length ? `=${e.kv.value.toString()}` : ''}${prev}`;
  });
}

async function withHistory(fn: (store: MvccStore) => void | Promise<void>): Promise<void> {
  const store = MvccStore.open(MemoryBackend.open());
  put(store, 'a', '1'); // 2
  put(store, 'b', '1'); // 3
  const txn = store.write(); // 4: three changes in one revision
  txn.put(b('a'), b('2'), 0n);
  txn.put(b('c'), b('1'), 0n);
  txn.deleteRange(b('b'), NONE);
  txn.end();
  del(store, 'a'); // 5
  put(store, 'z', '1'); // 6
  try {
    await fn(store);
  } finally {
    await store.close();
    await store.backend.close();
  }
}

test('events come in revision order with deletes carrying key and revision', () =>
  withHistory((store) => {
    const { events, nextRevision } = store.eventsBetween(2, 6, ALL.key, ALL.end, 100);
    assert.deepEqual(show(events), ['PUT a@2=1', 'PUT b@3=1', 'PUT a@4=2', 'PUT c@4=1', 'DEL b@4', 'DEL a@5', 'PUT z@6=1']);
    assert.equal(nextRevision, 7);
  }));

test('only keys in the range are returned, with previous values on request', () =>
  withHistory((store) => {
    assert.deepEqual(show(store.eventsBetween(3, 6, b('a'), NONE, 100, true).events), ['PUT a@4=2 (was 1)', 'DEL a@5 (was 2)']);
    assert.deepEqual(show(store.eventsBetween(2, 6, b('b'), FROM_KEY, 100).events), ['PUT b@3=1', 'PUT c@4=1', 'DEL b@4', 'PUT z@6=1']);
    assert.deepEqual(show(store.eventsBetween(2, 4, b('y'), b('zz'), 100).events), []);
  }));

test('a batch stops between revisions, never inside one', () =>
  withHistory((store) => {
    const first = store.eventsBetween(2, 6, ALL.key, ALL.end, 3);
    assert.deepEqual(show(first.events), ['PUT a@2=1', 'PUT b@3=1', 'PUT a@4=2', 'PUT c@4=1', 'DEL b@4']);
    assert.equal(first.nextRevision, 5);
    const second = store.eventsBetween(first.nextRevision, 6, ALL.key, ALL.end, 1);
    assert.deepEqual(show(second.events), ['DEL a@5']);
    assert.equal(second.nextRevision, 6);
  }));

test('an open write txn is not history yet', () =>
  withHistory((store) => {
    const txn = store.write();
    txn.put(b('q'), b('pending'), 0n);
    assert.deepEqual(show(store.eventsBetween(6, 100, ALL.key, ALL.end, 100).events), ['PUT z@6=1']);
    txn.end();
    assert.deepEqual(show(store.eventsBetween(7, 100, ALL.key, ALL.end, 100).events), ['PUT q@7=pending']);
  }));

test('history below the compact revision is refused; from it, the kept puts come back as etcd does', () =>
  withHistory(async (store) => {
    await store.compact(4).physical;
    assert.throws(() => store.eventsBetween(3, 6, ALL.key, ALL.end, 10), (e: unknown) => e instanceof EtcdError && e.code === 'Compacted');
    assert.deepEqual(show(store.eventsBetween(4, 6, ALL.key, ALL.end, 10).events), ['PUT a@4=2', 'PUT c@4=1', 'DEL a@5', 'PUT z@6=1']);
  }));
