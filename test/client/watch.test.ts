// Watch through the client: async iteration of event batches, history from a start
// revision, a typed WatchCompactedError, and resuming across a server restart with
// neither gap nor duplicate.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WatchCompactedError } from '../../src/client/client-errors.js';
import type { Watcher, WatchEvent } from '../../src/client/watcher.js';
import { missingFeature, openFixture, type ClientFixture } from './fixture.js';

let fx: ClientFixture;
let skipReason: string | undefined;
before(async () => {
  fx = await openFixture();
  skipReason = await missingFeature(fx.etcd, 'watch');
});
after(async () => {
  await fx?.close();
});

const EVENT_WAIT_MS = 10_000;

/** Reads exactly `count` events from the watcher, failing if they do not come in time. */
async function takeEvents(watcher: Watcher, count: number): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const timer = setTimeout(() => void watcher.close(), EVENT_WAIT_MS);
  try {
    for await (const batch of watcher) {
      events.push(...batch.events);
      if (events.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  assert.equal(events.length, count, `expected ${count} events, the watch ended after ${events.length}`);
  return events;
}

function describeEvent(event: WatchEvent): string {
  return `${event.type} ${event.kv.key.toString()}=${event.kv.value.toString()}`;
}

describe('watch', () => {
  test('a prefix watch sees puts and deletes after it was created, with previous values', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('w');
    const watcher = await fx.etcd.watch(p, { prefix: true, prevKv: true });
    await fx.etcd.put(`${p}a`, '1');
    await fx.etcd.put(`${p}a`, '2');
    await fx.etcd.put(`${p.slice(0, -1)}-outside`, 'x');
    await fx.etcd.delete(`${p}a`);
    const events = await takeEvents(watcher, 3);
    assert.deepEqual(events.map(describeEvent), [`put ${p}a=1`, `put ${p}a=2`, `delete ${p}a=`]);
    assert.equal(events[1]?.prevKv?.value.toString(), '1');
    assert.equal(events[2]?.prevKv?.value.toString(), '2');
  });

  test('a start revision replays history; filters drop puts', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('w-hist');
    const first = await fx.etcd.put(`${p}k`, 'old');
    await fx.etcd.delete(`${p}k`);
    await fx.etcd.put(`${p}k`, 'new');
    const history = await fx.etcd.watch(`${p}k`, { startRevision: first.revision });
    assert.deepEqual((await takeEvents(history, 3)).map(describeEvent), [`put ${p}k=old`, `delete ${p}k=`, `put ${p}k=new`]);
    const deletesOnly = await fx.etcd.watch(`${p}k`, { startRevision: first.revision, noPut: true });
    assert.deepEqual((await takeEvents(deletesOnly, 1)).map(describeEvent), [`delete ${p}k=`]);
    await deletesOnly.close();
  });

  test('a compacted start revision ends the iteration with WatchCompactedError', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('w-compact');
    const first = await fx.etcd.put(`${p}k`, '1');
    const second = await fx.etcd.put(`${p}k`, '2');
    await fx.etcd.kv.compact(second.revision);
    const watcher = fx.etcd.watchUnready(`${p}k`, { startRevision: first.revision });
    await assert.rejects(
      (async () => {
        for await (const batch of watcher) assert.fail(`no batch expected, got ${batch.events.length} events`);
      })(),
      (error: unknown) => {
        assert.ok(error instanceof WatchCompactedError);
        assert.equal(error.compactRevision, second.revision);
        return true;
      },
    );
  });

  test('closing through an AbortSignal ends the iteration', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const controller = new AbortController();
    const watcher = await fx.etcd.watch(fx.prefix('w-abort'), { prefix: true, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const batches: unknown[] = [];
    for await (const batch of watcher) batches.push(batch);
    assert.deepEqual(batches, []);
  });
});

describe('a slow consumer', () => {
  test('events written while nobody reads are all delivered later, in order', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('w-slow');
    const watcher = await fx.etcd.watch(p, { prefix: true });
    const total = 1_500;
    // Up to 1,500 batches (fewer when the server groups revisions): enough to reach the client's
    // buffer bound of 1,024, past which it pauses the stream until the consumer catches up.
    await Promise.all(Array.from({ length: 10 }, async (_, writer) => {
      for (let i = writer; i < total; i += 10) await fx.etcd.put(`${p}${i}`, String(i));
    }));
    const events = await takeEvents(watcher, total);
    const revisions = events.map((event) => event.kv.modRevision);
    assert.equal(new Set(revisions).size, total);
    assert.deepEqual(revisions, [...revisions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.deepEqual(new Set(events.map((event) => event.kv.value.toString())), new Set(Array.from({ length: total }, (_, i) => String(i))));
  });
});

describe('watch across a server restart', () => {
  test('events written before and right after a restart arrive once each, in order', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('w-resume');
    const watcher = await fx.etcd.watch(p, { prefix: true });
    const total = 30;
    const collected = takeEvents(watcher, total);
    // Awaited below; until then a failure must not count as unhandled.
    collected.catch(() => {});
    for (let i = 0; i < 10; i++) await fx.etcd.put(`${p}${String(i).padStart(2, '0')}`, String(i));
    // Let the first ten reach the watcher so the resume revision is in the middle.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await fx.server.restart();
    for (let i = 10; i < total; i++) await fx.etcd.put(`${p}${String(i).padStart(2, '0')}`, String(i));
    const events = await collected;
    assert.deepEqual(
      events.map((event) => event.kv.value.toString()),
      Array.from({ length: total }, (_, i) => String(i)),
    );
    const revisions = events.map((event) => event.kv.modRevision);
    assert.deepEqual(revisions, [...revisions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.equal(new Set(revisions).size, total);
  });
});
