// etcdctl watch as a user runs it at a shell: single keys, prefixes, history with
// --rev, --prev-kv, interactive watch fed on stdin, and a compacted start.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ETCDCTL_BINARY } from '../support/etcdctl.js';
import { b, eventually, openTarget, putRevision, type WatchTarget } from './watch-fixture.js';
import { WatchProcess } from './watch-process.js';

let target: WatchTarget;
const processes: WatchProcess[] = [];
before(async () => {
  target = await openTarget();
});
after(async () => {
  for (const child of processes) await child.stop();
  await target.close();
});

/** Earlier tests' watchers are gone (each test stops its child) before a new one starts. */
async function noWatchers(): Promise<void> {
  const hub = target.hub;
  if (hub !== null) await eventually(() => hub.watcherCount() === 0, 'earlier watchers to be released');
}

function etcdctlWatch(args: string[]): WatchProcess {
  const child = new WatchProcess(ETCDCTL_BINARY, [`--endpoints=${target.endpoint}`, 'watch', ...args], { ETCDCTL_API: '3' });
  processes.push(child);
  return child;
}

/** etcdctl prints nothing when its watch is set up; a hub count (or a pause against real etcd) tells us. */
async function watchersReady(count: number): Promise<void> {
  const hub = target.hub;
  if (hub === null) await new Promise((resolve) => setTimeout(resolve, 500));
  else await eventually(() => hub.watcherCount() >= count, `${count} watchers`);
}

test('watch on a key prints each put and delete of that key only', async () => {
  await noWatchers();
  const child = etcdctlWatch(['e/key']);
  await watchersReady(1);
  await putRevision(target.kv, 'e/other', 'no');
  await putRevision(target.kv, 'e/key', 'one');
  await target.kv.deleteRange({ key: b('e/key') });
  assert.deepEqual(await child.waitForLines(6), ['PUT', 'e/key', 'one', 'DELETE', 'e/key', '']);
  await child.stop();
});

test('watch --prefix --prev-kv prints the previous value before the new one', async () => {
  await putRevision(target.kv, 'e/p/a', 'before');
  await noWatchers();
  const child = etcdctlWatch(['--prefix', '--prev-kv', 'e/p/']);
  await watchersReady(1);
  await putRevision(target.kv, 'e/p/a', 'after');
  await putRevision(target.kv, 'e/p/b', 'fresh');
  assert.deepEqual(await child.waitForLines(8), ['PUT', 'e/p/a', 'before', 'e/p/a', 'after', 'PUT', 'e/p/b', 'fresh']);
  await child.stop();
});

test('watch --rev replays the history of a key, then waits for more', async () => {
  const first = await putRevision(target.kv, 'e/h', 'v1');
  await putRevision(target.kv, 'e/h', 'v2');
  await noWatchers();
  const child = etcdctlWatch([`--rev=${first}`, 'e/h']);
  assert.deepEqual(await child.waitForLines(6), ['PUT', 'e/h', 'v1', 'PUT', 'e/h', 'v2']);
  await putRevision(target.kv, 'e/h', 'v3');
  assert.deepEqual((await child.waitForLines(9)).slice(6), ['PUT', 'e/h', 'v3']);
  await child.stop();
});

test('watch -i takes watch commands on stdin', async () => {
  await noWatchers();
  const child = etcdctlWatch(['-i']);
  child.writeLine('watch e/i/one');
  child.writeLine('watch --prefix e/i/p');
  await watchersReady(2);
  await putRevision(target.kv, 'e/i/one', '1');
  await putRevision(target.kv, 'e/i/pq', '2');
  assert.deepEqual(await child.waitForLines(6), ['PUT', 'e/i/one', '1', 'PUT', 'e/i/pq', '2']);
  await child.stop();
});

test('watch --rev below the compact revision fails with etcd\'s compaction message', async () => {
  const old = await putRevision(target.kv, 'e/c', '1');
  const compactAt = await putRevision(target.kv, 'e/c', '2');
  await target.kv.compact({ revision: BigInt(compactAt) });
  await noWatchers();
  const child = etcdctlWatch([`--rev=${old}`, 'e/c']);
  const code = await child.waitForExit();
  assert.notEqual(code, 0);
  assert.match(child.output().stderr, /watch was canceled \(etcdserver: mvcc: required revision has been compacted\)/);
});
