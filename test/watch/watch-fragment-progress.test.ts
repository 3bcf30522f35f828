// Watch options that depend on server settings: fragmenting a revision larger
// than the max request size, and periodic progress notifications.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RawWatch, summary } from './raw-watch.js';
import { b, openTarget, putRevision, type WatchTarget } from './watch-fixture.js';

const MAX_REQUEST_BYTES = 100_000;
const VALUE_BYTES = 90_000;
/** With prev_kv, 16 values of 90 KB make one revision far over the fragment limit (max request bytes + 512 KiB). */
const KEYS = 16;
const PROGRESS_INTERVAL_MS = 200;

let target: WatchTarget;
const opened: RawWatch[] = [];
before(async () => {
  target = await openTarget({ overrides: { maxRequestBytes: MAX_REQUEST_BYTES }, progressNotifyIntervalMs: PROGRESS_INTERVAL_MS });
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

test('a revision larger than the max request size arrives in fragments when asked, whole otherwise', async () => {
  for (let i = 0; i < KEYS; i++) await putRevision(target.kv, `big/${String(i).padStart(2, '0')}`, 'x'.repeat(VALUE_BYTES));
  const watch = openWatch();
  watch.create({ key: b('big/'), rangeEnd: b('big0'), prevKv: true, fragment: true, watchId: 1n });
  watch.create({ key: b('big/'), rangeEnd: b('big0'), prevKv: true, watchId: 2n });
  await watch.next();
  await watch.next();
  const deleted = Number((await target.kv.deleteRange({ key: b('big/'), rangeEnd: b('big0'), prevKv: true })).header?.revision);
  const fragments = [];
  let whole = null;
  while (whole === null || fragments.length === 0 || fragments[fragments.length - 1]?.fragment === true) {
    const response = await watch.next();
    if (response.watchId === 2n) whole = response;
    else fragments.push(response);
  }
  assert.ok(fragments.length >= 2, `expected several fragments, got ${fragments.length}`);
  assert.deepEqual(fragments.map((f) => f.fragment), [...fragments.slice(1).map(() => true), false]);
  for (const fragment of fragments) assert.equal(Number(fragment.header?.revision), deleted);
  const keys = fragments.flatMap((f) => f.events.map((e) => e.kv?.key.toString()));
  assert.deepEqual(keys, Array.from({ length: KEYS }, (_, i) => `big/${String(i).padStart(2, '0')}`));
  assert.equal(whole.events.length, KEYS);
  assert.equal(whole.fragment, false);
  assert.equal(whole.events[KEYS - 1]?.prevKv?.value.length, VALUE_BYTES);
});

test('watchers with progress_notify get periodic progress at the current revision; others do not', async () => {
  const watch = openWatch();
  watch.create({ key: b('pn/k'), progressNotify: true, watchId: 1n });
  watch.create({ key: b('pn/k'), watchId: 2n });
  await watch.next();
  await watch.next();
  const revision = await putRevision(target.kv, 'pn/other', 'v');
  const first = summary(await watch.next(PROGRESS_INTERVAL_MS * 10));
  const second = summary(await watch.next(PROGRESS_INTERVAL_MS * 10));
  for (const progress of [first, second]) {
    assert.deepEqual([progress.watchId, progress.events, progress.revision, progress.created, progress.canceled], [1, [], revision, false, false]);
  }
});
