// One watch stream without a network: ids, the bounded send buffer that turns
// watchers into victims, the control backlog that pauses reading, and progress
// requests deferred until every watcher has caught up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import type { ResponseHeader, WatchResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { WatchHub } from '../../src/watch/watch-hub.js';
import {
  ERR_TOO_MANY_WATCHERS,
  STREAM_CONTROL_BUFFER_RESPONSES,
  STREAM_SEND_BUFFER_RESPONSES,
  WatchStream,
  type CreateWatch,
} from '../../src/watch/watch-stream.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

function setup(watchersMax?: number): { store: MvccStore; hub: WatchHub; stream: WatchStream; put(key: string): number; takeAll(): WatchResponse[]; close(): Promise<void> } {
  const store = MvccStore.open(MemoryBackend.open());
  const hub = new WatchHub(store);
  const header = (revision: number): ResponseHeader => ({ clusterId: 1n, memberId: 1n, revision: BigInt(revision), raftTerm: 1n });
  const stream = new WatchStream(hub, { header, wake: () => undefined }, 60_000, watchersMax);
  const put = (key: string): number => {
    const txn = store.write();
    txn.put(b(key), b('v'), 0n);
    const result = txn.end();
    hub.notify(result);
    return result.revision;
  };
  const takeAll = (): WatchResponse[] => {
    const out: WatchResponse[] = [];
    for (let next = stream.take(); next !== undefined; next = stream.take()) out.push(next.response);
    return out;
  };
  return { store, hub, stream, put, takeAll, close: async () => { stream.close(); hub.close(); await store.close(); } };
}

function request(partial: Partial<CreateWatch>): CreateWatch {
  return { watchId: 0n, key: b('k'), rangeEnd: Buffer.alloc(0), startRevision: 0, progressNotify: false, prevKv: false, fragment: false, noPut: false, noDelete: false, ...partial };
}

test('automatic ids skip the ones a client chose', async () => {
  const { stream, takeAll, close } = setup();
  stream.create(request({ watchId: 1n }));
  stream.create(request({}));
  stream.create(request({}));
  assert.deepEqual(takeAll().map((r) => Number(r.watchId)), [1, 0, 2]);
  await close();
});

test('a stream that is not written out holds 128 event responses, then its watchers become victims', async () => {
  const { hub, stream, put, takeAll, close } = setup();
  stream.create(request({}));
  takeAll();
  for (let i = 0; i < STREAM_SEND_BUFFER_RESPONSES; i++) put('k');
  assert.equal(hub.stats().victims, 0);
  const heldRevision = put('k');
  assert.equal(hub.stats().victims, 1);
  const later = put('k');
  assert.equal(takeAll().length, STREAM_SEND_BUFFER_RESPONSES);
  // Room again: the held batch, then the history it missed, with nothing lost.
  const deadline = Date.now() + 5000;
  const revisions: number[] = [];
  while (!revisions.includes(later) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    revisions.push(...takeAll().flatMap((r) => r.events.map((e) => Number(e.kv?.modRevision))));
  }
  assert.deepEqual(revisions, [heldRevision, later]);
  await close();
});

test('past 16 unsent control responses the stream asks its host to stop reading requests', async () => {
  const { stream, takeAll, close } = setup();
  for (let i = 0; i < STREAM_CONTROL_BUFFER_RESPONSES - 1; i++) stream.create(request({}));
  assert.equal(stream.acceptsRequests, true);
  stream.create(request({}));
  assert.equal(stream.acceptsRequests, false);
  stream.take();
  assert.equal(stream.acceptsRequests, true);
  takeAll();
  await close();
});

test('a progress request waits for a catching-up watcher, then follows its history', async () => {
  const { stream, put, takeAll, close } = setup();
  const first = put('k');
  for (let i = 0; i < 10; i++) put('k');
  stream.create(request({ startRevision: first }));
  stream.requestProgress();
  assert.deepEqual(takeAll().map((r) => r.created), [true]);
  const seen: WatchResponse[] = [];
  for (let turn = 0; turn < 1000 && !seen.some((r) => r.watchId === -1n); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    seen.push(...takeAll());
  }
  assert.deepEqual(seen.map((r) => [Number(r.watchId), r.events.length]), [[0, 11], [-1, 0]]);
  await close();
});

test('closing the stream releases its watchers from the hub', async () => {
  const { hub, stream, close } = setup();
  for (let i = 0; i < 10; i++) stream.create(request({ key: b(`k${i}`) }));
  assert.equal(hub.watcherCount(), 10);
  stream.close();
  assert.equal(hub.watcherCount(), 0);
  await close();
});

test('a stream at its watcher bound refuses the next create, and accepts again after a cancel', async () => {
  const { hub, stream, takeAll, close } = setup(3);
  for (let i = 0; i < 4; i++) stream.create(request({}));
  const answers = takeAll();
  assert.deepEqual(answers.map((r) => [Number(r.watchId), r.canceled, r.cancelReason]), [
    [0, false, ''], [1, false, ''], [2, false, ''], [-1, true, ERR_TOO_MANY_WATCHERS],
  ]);
  assert.equal(hub.watcherCount(), 3);
  stream.cancel(1n);
  stream.create(request({}));
  assert.deepEqual(takeAll().map((r) => [Number(r.watchId), r.created, r.canceled]), [[1, false, true], [3, true, false]]);
  await close();
});
