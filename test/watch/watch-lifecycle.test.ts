// Streams ending in every way a client can end them: closed while events are in
// flight, half-closed, or poisoned with a message that does not decode. Each
// must release its watchers and leave the others and the server serving.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RawWatch } from './raw-watch.js';
import { StalledStream } from './stalled-stream.js';
import { b, eventually, openTarget, putRevision, type WatchTarget } from './watch-fixture.js';

let target: WatchTarget;
before(async () => {
  target = await openTarget();
});
after(async () => {
  await target.close();
});

async function released(): Promise<void> {
  const hub = target.hub;
  if (hub !== null) await eventually(() => hub.watcherCount() === 0, 'every watcher to be released');
}

test('streams closed while events are in flight release their watchers; the others get every event', async () => {
  const streams = Array.from({ length: 5 }, () => new RawWatch(target.endpoint));
  try {
    for (const stream of streams) for (let i = 0; i < 20; i++) stream.create({ key: b('lc/'), rangeEnd: b('lc0') });
    for (const stream of streams) for (let i = 0; i < 20; i++) await stream.next();
    const first = await putRevision(target.kv, 'lc/0', 'start');
    const writes = Array.from({ length: 200 }, (_, i) => target.kv.put({ key: b(`lc/${i % 7}`), value: b(String(i)) }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const stream of streams.slice(0, 3)) stream.close();
    await Promise.all(writes);
    const last = target.hub === null ? first + 200 : (target.store?.currentRevision ?? 0);
    for (const stream of streams.slice(3)) {
      const perWatcher = new Map<bigint, number[]>();
      await eventually(() => {
        for (const response of stream.drain()) {
          const list = perWatcher.get(response.watchId) ?? [];
          list.push(...response.events.map((e) => Number(e.kv?.modRevision ?? 0n)));
          perWatcher.set(response.watchId, list);
        }
        return [...perWatcher.values()].every((list) => list[list.length - 1] === last) && perWatcher.size === 20;
      }, 'the open streams to see the last write');
      for (const list of perWatcher.values()) assert.deepEqual(list, Array.from({ length: last - first + 1 }, (_, i) => first + i));
    }
  } finally {
    for (const stream of streams) stream.close();
  }
  await released();
  await target.kv.stillServes();
});

test('a client that half-closes keeps receiving events until it cancels, as etcd', async () => {
  const watch = new RawWatch(target.endpoint);
  try {
    watch.create({ key: b('hc/k') });
    await watch.next();
    watch.end();
    const revision = await putRevision(target.kv, 'hc/k', 'after-half-close');
    const response = await watch.next();
    assert.deepEqual(response.events.map((e) => Number(e.kv?.modRevision ?? 0n)), [revision]);
  } finally {
    watch.close();
  }
  await released();
});

test('a request that does not decode ends the stream with INTERNAL and releases its watchers', async () => {
  const stream = new StalledStream(target.endpoint);
  try {
    stream.create({ key: b('bad/k') });
    await eventually(() => stream.drain().length === 1, 'the created response');
    const ended = stream.status();
    // Field 1 (create_request) as a length-delimited value claiming more bytes than follow.
    stream.writeMessage(Buffer.from([0x0a, 0x7f, 0x01]));
    const status = await ended;
    assert.equal(status.code, 13);
    assert.match(status.message, /^grpc: failed to unmarshal the received message/);
  } finally {
    stream.close();
  }
  await released();
});

test('at shutdown every watch stream ends with UNAVAILABLE "server stopped", which clients retry', { skip: process.env['ETCD_TS_TARGET'] === 'etcd' }, async () => {
  const streams = [new RawWatch(target.endpoint), new RawWatch(target.endpoint)];
  try {
    for (const stream of streams) {
      stream.create({ key: b('sd/k') });
      await stream.next();
    }
    target.stopWatchStreams?.();
    for (const stream of streams) {
      // grpc-js reports a non-OK status as an error carrying code and details.
      const timeout = new Promise((resolve) => setTimeout(() => resolve({ details: 'still open after 5 s' }), 5000).unref());
      const ended = (await Promise.race([stream.finished, timeout])) as { code?: number; details?: string };
      assert.deepEqual([ended.code, ended.details], [14, 'etcdserver: server stopped']);
    }
  } finally {
    for (const stream of streams) stream.close();
  }
  await released();
});
