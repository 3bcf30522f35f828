// The hub on its own, over a real MVCC store with a sink the test can fill:
// catch-up in bounded batches, victims when a stream is full, compaction and
// cancel in the middle of catch-up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { WATCH_BATCH_REVISIONS_MAX } from '../../src/watch/event-batch.js';
import { keySpanOf, type KeySpan } from '../../src/watch/key-span.js';
import { WatchHub } from '../../src/watch/watch-hub.js';
import type { HubResponse, Watcher, WatcherSink } from '../../src/watch/watcher.js';
import { eventually } from './watch-fixture.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

class TestSink implements WatcherSink {
  open = true;
  readonly responses: HubResponse[] = [];

  trySend(response: HubResponse): boolean {
    if (!this.open) return false;
    this.responses.push(response);
    return true;
  }

  hasRoom(): boolean {
    return this.open;
  }

  onSynced(): void {}

  revisions(): number[] {
    return this.responses.flatMap((r) => r.events.map((e) => Number(e.kv?.modRevision ?? 0n)));
  }
}

function setup(): { store: MvccStore; hub: WatchHub; put(key: string, value?: string): number; close(): Promise<void> } {
  const store = MvccStore.open(MemoryBackend.open());
  const hub = new WatchHub(store);
  const put = (key: string, value = 'v'): number => {
    const txn = store.write();
    txn.put(b(key), b(value), 0n);
    const result = txn.end();
    hub.notify(result);
    return result.revision;
  };
  return { store, hub, put, close: async () => { hub.close(); await store.close(); } };
}

function span(key: string, end = ''): KeySpan {
  return keySpanOf(b(key), b(end)) as KeySpan;
}

function watch(hub: WatchHub, sink: TestSink, key: string, startRevision = 0, end = ''): Watcher {
  return hub.watch({ id: 1n, span: span(key, end), startRevision, prevKv: false, noPut: false, noDelete: false }, sink);
}

/** Waits turn by turn of the event loop, so a test can act between two catch-up steps. */
async function stepUntil(condition: () => boolean, what: string, turnsMax = 10_000): Promise<void> {
  for (let turn = 0; turn < turnsMax; turn++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`still waiting for ${what} after ${turnsMax} turns`);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('a watcher from the past catches up in batches of at most 1,000 revisions, then follows live writes', async () => {
  const { hub, put, close } = setup();
  const first = put('k', 'first');
  for (let i = 0; i < 2500; i++) put(i % 2 === 0 ? 'k' : 'other');
  const sink = new TestSink();
  const watcher = watch(hub, sink, 'k', first);
  assert.equal(watcher.state, 'unsynced');
  await eventually(() => watcher.state === 'synced', 'catch-up to finish');
  const live = put('k', 'live');
  const revisions = sink.revisions();
  assert.deepEqual(revisions, [first, ...range(first + 1, live - 1).filter((r) => (r - first - 1) % 2 === 0), live]);
  for (const response of sink.responses) assert.ok(new Set(response.events.map((e) => e.kv?.modRevision)).size <= WATCH_BATCH_REVISIONS_MAX);
  assert.ok(sink.responses.length > 2, 'history should come in several responses');
  await close();
});

test('a full stream makes its watcher a victim; once there is room it gets every revision exactly once', async () => {
  const { hub, put, close } = setup();
  const sink = new TestSink();
  const bystander = new TestSink();
  const watcher = watch(hub, sink, 'k');
  watch(hub, bystander, 'k');
  sink.open = false;
  const revisions = range(1, 20).map(() => put('k'));
  assert.equal(watcher.state, 'victim');
  // The bystander on another stream was not held up.
  assert.deepEqual(bystander.revisions(), revisions);
  assert.equal(hub.stats().victims, 1);
  sink.open = true;
  await eventually(() => watcher.state === 'synced', 'the victim to catch up');
  revisions.push(put('k'));
  assert.deepEqual(sink.revisions(), revisions);
  await close();
});

test('compaction in the middle of catch-up cancels the watcher with the compact revision, after a gapless prefix', async () => {
  const { store, hub, put, close } = setup();
  const first = put('k');
  for (let i = 0; i < 3000; i++) put('k');
  const sink = new TestSink();
  const watcher = watch(hub, sink, 'k', first);
  // Let exactly one catch-up response through, then fill the stream.
  await stepUntil(() => sink.responses.length >= 1, 'a first catch-up batch');
  assert.equal(watcher.state, 'unsynced');
  sink.open = false;
  await stepUntil(() => watcher.state === 'victim', 'the watcher to be held as a victim');
  const compactAt = store.currentRevision;
  store.compact(compactAt);
  sink.open = true;
  await eventually(() => watcher.state === 'compacted', 'the compacted cancel');
  const last = sink.responses[sink.responses.length - 1] as HubResponse;
  assert.equal(last.compactRevision, compactAt);
  assert.deepEqual(last.events, []);
  const delivered = sink.revisions();
  assert.deepEqual(delivered, range(first, first + delivered.length - 1));
  assert.ok(delivered.length < compactAt - first, 'the cancel should come before the history ran out');
  assert.equal(hub.watcherCount(), 0);
  assert.equal(hub.stats().compacted, 1);
  await close();
});

test('a watcher cancelled during catch-up receives nothing more and leaves the hub', async () => {
  const { hub, put, close } = setup();
  const first = put('k');
  for (let i = 0; i < 5000; i++) put('k');
  const sink = new TestSink();
  const watcher = watch(hub, sink, 'k', first);
  await stepUntil(() => sink.responses.length >= 1, 'a first catch-up batch');
  assert.equal(watcher.state, 'unsynced');
  hub.cancel(watcher);
  const seen = sink.responses.length;
  assert.equal(hub.watcherCount(), 0);
  await new Promise((resolve) => setTimeout(resolve, 50));
  put('k');
  assert.equal(sink.responses.length, seen);
  assert.equal(watcher.state, 'canceled');
  await close();
});

test('a future start revision waits; range and from-key watchers match only their keys', async () => {
  const { store, hub, put, close } = setup();
  const future = new TestSink();
  const ranged = new TestSink();
  const fromKey = new TestSink();
  watch(hub, future, 'a', store.currentRevision + 3);
  watch(hub, ranged, 'b', 0, 'd');
  watch(hub, fromKey, 'c', 0, '\0');
  const revs = ['a', 'b', 'a', 'c', 'd', 'a'].map((key) => put(key));
  assert.deepEqual(future.revisions(), [revs[2], revs[5]]);
  assert.deepEqual(ranged.revisions(), [revs[1], revs[3]]);
  assert.deepEqual(fromKey.revisions(), [revs[3], revs[4]]);
  await close();
});
