// The Watch stream over raw gRPC, field by field, as etcd answers: created and
// canceled responses, ids, ranges, history, filters, prev_kv, compaction,
// progress. Runs against real etcd too (ETCD_TS_TARGET=etcd).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WatchCreateRequest_FilterType } from '../../src/generated/etcdserverpb/rpc.js';
import { RawWatch, summary } from './raw-watch.js';
import { b, eventually, openTarget, putRevision, type WatchTarget } from './watch-fixture.js';

let target: WatchTarget;
const opened: RawWatch[] = [];
before(async () => {
  target = await openTarget();
});
after(async () => {
  for (const watch of opened) watch.close();
  await target.close();
});

function openWatch(): RawWatch {
  const watch = new RawWatch(target.endpoint);
  opened.push(watch);
  return watch;
}

async function revisionNow(): Promise<number> {
  return Number((await target.kv.status()).header?.revision ?? 0n);
}

describe('creating watchers', () => {
  test('the first watcher gets id 0 and a created response at the current revision', async () => {
    const watch = openWatch();
    const current = await revisionNow();
    watch.create({ key: b('p/one') });
    assert.deepEqual(summary(await watch.next()), {
      watchId: 0, created: true, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, revision: current, events: [],
    });
    const revision = await putRevision(target.kv, 'p/one', 'v');
    const event = await watch.next();
    assert.deepEqual(summary(event).events, [`PUT p/one@${revision}`]);
    assert.equal(Number(event.header?.revision), revision);
    assert.equal(event.events[0]?.kv?.value.toString(), 'v');
  });

  test('ids count up per stream, a client may choose its own, and a duplicate is refused', async () => {
    const watch = openWatch();
    watch.create({ key: b('p/ids') });
    watch.create({ key: b('p/ids'), watchId: 5n });
    watch.create({ key: b('p/ids') });
    watch.create({ key: b('p/ids'), watchId: 5n });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(Number((await watch.next()).watchId));
    assert.deepEqual(ids, [0, 5, 1]);
    const refused = summary(await watch.next());
    assert.equal(refused.watchId, -1);
    assert.equal(refused.created, true);
    assert.equal(refused.canceled, true);
    assert.equal(refused.cancelReason, 'mvcc: duplicate watch ID provided on the WatchStream');
  });

  test('a range whose end is not after its key is refused as empty', async () => {
    const watch = openWatch();
    watch.create({ key: b('p/z'), rangeEnd: b('p/a') });
    const refused = summary(await watch.next());
    assert.deepEqual([refused.watchId, refused.created, refused.canceled, refused.cancelReason], [-1, true, true, 'mvcc: watcher range is empty']);
  });

  test('an empty key watches the key "\\0", and with range end "\\0" every key', async () => {
    const watch = openWatch();
    watch.create({ key: b(''), watchId: 1n });
    watch.create({ key: b(''), rangeEnd: Buffer.from([0]), watchId: 2n });
    await watch.next();
    await watch.next();
    const zero = await target.kv.put({ key: Buffer.from([0]), value: b('z') });
    const other = await putRevision(target.kv, 'p/any', 'v');
    const seen = [summary(await watch.next()), summary(await watch.next()), summary(await watch.next())];
    const byId = (id: number): unknown[] => seen.filter((r) => r.watchId === id).map((r) => r.events);
    assert.deepEqual(byId(1), [[`PUT \0@${Number(zero.header?.revision)}`]]);
    assert.deepEqual(byId(2), [[`PUT \0@${Number(zero.header?.revision)}`], [`PUT p/any@${other}`]]);
  });
});

describe('ranges and revisions', () => {
  test('a prefix watcher sees its keys only, and a from-key watcher everything after its key', async () => {
    const watch = openWatch();
    watch.create({ key: b('r/a/'), rangeEnd: b('r/a0'), watchId: 1n });
    watch.create({ key: b('r/b'), rangeEnd: Buffer.from([0]), watchId: 2n });
    await watch.next();
    await watch.next();
    const inPrefix = await putRevision(target.kv, 'r/a/1', 'x');
    const after = await putRevision(target.kv, 'r/c', 'x');
    const seen = [summary(await watch.next()), summary(await watch.next())];
    assert.deepEqual(seen.map((r) => [r.watchId, r.events]), [[1, [`PUT r/a/1@${inPrefix}`]], [2, [`PUT r/c@${after}`]]]);
    await watch.expectSilence(100);
  });

  test('the events of one txn come together, in one response, at their revision', async () => {
    const watch = openWatch();
    watch.create({ key: b('t/'), rangeEnd: b('t0') });
    await watch.next();
    const put = (key: string) => ({ request: { $case: 'requestPut' as const, value: { key: b(key), value: b('v') } } });
    const response = await target.kv.txn({ success: [put('t/1'), put('t/2'), put('t/3')] });
    const revision = Number(response.header?.revision);
    assert.deepEqual(summary(await watch.next()).events, [`PUT t/1@${revision}`, `PUT t/2@${revision}`, `PUT t/3@${revision}`]);
  });

  test('a past start revision replays history in order, then continues live without a gap', async () => {
    const first = await putRevision(target.kv, 'h/k', '1');
    const second = await putRevision(target.kv, 'h/k', '2');
    await target.kv.deleteRange({ key: b('h/k') });
    const watch = openWatch();
    watch.create({ key: b('h/k'), startRevision: BigInt(first) });
    assert.equal((await watch.next()).created, true);
    const history = await watch.next();
    assert.deepEqual(summary(history).events, [`PUT h/k@${first}`, `PUT h/k@${second}`, `DELETE h/k@${second + 1}`]);
    const live = await putRevision(target.kv, 'h/k', '3');
    assert.deepEqual(summary(await watch.next()).events, [`PUT h/k@${live}`]);
  });

  test('a future start revision waits for it', async () => {
    const now = await revisionNow();
    const watch = openWatch();
    watch.create({ key: b('f/k'), startRevision: BigInt(now + 2) });
    await watch.next();
    await putRevision(target.kv, 'f/k', 'early');
    const wanted = await putRevision(target.kv, 'f/k', 'wanted');
    assert.equal(wanted, now + 2);
    assert.deepEqual(summary(await watch.next()).events, [`PUT f/k@${wanted}`]);
  });

  test('prev_kv carries the value replaced or deleted, and only when asked', async () => {
    await putRevision(target.kv, 'v/k', 'old');
    const watch = openWatch();
    watch.create({ key: b('v/k'), prevKv: true, watchId: 1n });
    watch.create({ key: b('v/k'), watchId: 2n });
    await watch.next();
    await watch.next();
    await putRevision(target.kv, 'v/k', 'new');
    await target.kv.deleteRange({ key: b('v/k') });
    const responses = [await watch.next(), await watch.next(), await watch.next(), await watch.next()];
    const withPrev = responses.filter((r) => r.watchId === 1n).map((r) => r.events[0]?.prevKv?.value.toString());
    const without = responses.filter((r) => r.watchId === 2n).map((r) => r.events[0]?.prevKv);
    assert.deepEqual(withPrev, ['old', 'new']);
    assert.deepEqual(without, [undefined, undefined]);
  });

  test('NOPUT and NODELETE filters drop those events, and a fully filtered revision sends nothing', async () => {
    const watch = openWatch();
    watch.create({ key: b('fl/k'), filters: [WatchCreateRequest_FilterType.NOPUT], watchId: 1n });
    watch.create({ key: b('fl/k'), filters: [WatchCreateRequest_FilterType.NODELETE], watchId: 2n });
    await watch.next();
    await watch.next();
    const put = await putRevision(target.kv, 'fl/k', 'v');
    const deleted = Number((await target.kv.deleteRange({ key: b('fl/k') })).header?.revision);
    const seen = [summary(await watch.next()), summary(await watch.next())];
    assert.deepEqual(seen.map((r) => [r.watchId, r.events]), [[2, [`PUT fl/k@${put}`]], [1, [`DELETE fl/k@${deleted}`]]]);
    await watch.expectSilence(100);
  });
});

describe('compaction, cancel and progress', () => {
  test('a start revision below the compact revision is canceled with the compact revision', async () => {
    const old = await putRevision(target.kv, 'c/k', '1');
    await putRevision(target.kv, 'c/k', '2');
    const compactAt = await putRevision(target.kv, 'c/k', '3');
    await target.kv.compact({ revision: BigInt(compactAt) });
    const watch = openWatch();
    watch.create({ key: b('c/k'), startRevision: BigInt(old) });
    const created = summary(await watch.next());
    assert.equal(created.created, true);
    const canceled = summary(await watch.next());
    assert.deepEqual(
      [canceled.watchId, canceled.canceled, canceled.compactRevision, canceled.revision, canceled.events],
      [created.watchId, true, compactAt, 0, []],
    );
    // At the compact revision itself, what survived compaction is still delivered.
    watch.create({ key: b('c/k'), startRevision: BigInt(compactAt) });
    await watch.next();
    assert.deepEqual(summary(await watch.next()).events, [`PUT c/k@${compactAt}`]);
  });

  test('cancel answers canceled for a known id, nothing for an unknown one, and stops events', async () => {
    const watch = openWatch();
    watch.create({ key: b('x/k'), watchId: 3n });
    await watch.next();
    watch.cancel(42n);
    watch.cancel(3n);
    const canceled = summary(await watch.next());
    assert.deepEqual([canceled.watchId, canceled.canceled, canceled.created], [3, true, false]);
    await putRevision(target.kv, 'x/k', 'after');
    await watch.expectSilence(150);
  });

  test('a progress request answers with watch id -1 at the current revision', async () => {
    const watch = openWatch();
    watch.create({ key: b('pr/k') });
    await watch.next();
    const revision = await putRevision(target.kv, 'pr/other', 'v');
    watch.requestProgress();
    const progress = summary(await watch.next());
    assert.deepEqual([progress.watchId, progress.revision, progress.events, progress.created], [-1, revision, [], false]);
  });

  // etcd 3.4 (the reference binary here) answers at once; 3.5 waits for every watcher to catch up.
  test('a progress request waits until catch-up has delivered the history', { skip: process.env['ETCD_TS_TARGET'] === 'etcd' }, async () => {
    const first = await putRevision(target.kv, 'pw/k', '1');
    for (let i = 0; i < 20; i++) await putRevision(target.kv, 'pw/k', String(i));
    const watch = openWatch();
    watch.create({ key: b('pw/k'), startRevision: BigInt(first) });
    watch.requestProgress();
    const responses = [summary(await watch.next()), summary(await watch.next()), summary(await watch.next())];
    assert.equal(responses[0]?.created, true);
    assert.equal((responses[1]?.events as unknown[]).length, 21);
    assert.equal(responses[2]?.watchId, -1);
  });

  test('closing the stream releases every watcher it held', { skip: process.env['ETCD_TS_TARGET'] === 'etcd' }, async () => {
    const hub = target.hub;
    assert.ok(hub !== null);
    const before = hub.watcherCount();
    const watch = new RawWatch(target.endpoint);
    for (let i = 0; i < 50; i++) watch.create({ key: b(`cl/${i}`), rangeEnd: i % 2 === 0 ? b(`cl/${i}0`) : undefined });
    for (let i = 0; i < 50; i++) await watch.next();
    assert.equal(hub.watcherCount(), before + 50);
    watch.close();
    await eventually(() => hub.watcherCount() === before, 'the stream\'s watchers to be released');
  });
});
