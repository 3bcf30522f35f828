// The watch APIs Node and Python users call: npm etcd3 (one shared stream per
// client) and python-etcd3 (iterators and callbacks), against one server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd3, type IKeyValue, type Watcher } from 'etcd3';
import { runPythonEtcd } from '../support/python.js';
import { eventually, openTarget, putRevision, type WatchTarget } from './watch-fixture.js';

let target: WatchTarget;
let client: Etcd3;
before(async () => {
  target = await openTarget();
  client = new Etcd3({ hosts: `http://${target.endpoint}`, dialTimeout: 5000 });
});
after(async () => {
  client.close();
  await target.close();
});

interface Seen {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly value: string;
  readonly previous: string | null;
}

function record(watcher: Watcher): Seen[] {
  const seen: Seen[] = [];
  const push = (type: Seen['type']) => (kv: IKeyValue, previous?: IKeyValue) =>
    seen.push({ type, key: kv.key.toString(), value: kv.value.toString(), previous: previous?.value.toString() ?? null });
  watcher.on('put', push('put')).on('delete', push('delete'));
  return seen;
}

async function hubSettles(count: number): Promise<void> {
  const hub = target.hub;
  if (hub !== null) await eventually(() => hub.watcherCount() === count, `${count} watchers in the hub`);
}

describe('npm etcd3', () => {
  test('a key watcher sees puts and deletes of its key; cancel releases it', async () => {
    const watcher = await client.watch().key('n/k').create();
    const seen = record(watcher);
    await client.put('n/k').value('one');
    await client.put('n/other').value('no');
    await client.delete().key('n/k');
    await eventually(() => seen.length >= 2, 'two events');
    assert.deepEqual(seen, [
      { type: 'put', key: 'n/k', value: 'one', previous: null },
      { type: 'delete', key: 'n/k', value: '', previous: null },
    ]);
    await watcher.cancel();
    await hubSettles(0);
  });

  test('a prefix watcher with previous values, and a start revision that replays history', async () => {
    const first = await putRevision(target.kv, 'n/p/a', '1');
    await putRevision(target.kv, 'n/p/b', '2');
    const replay = await client.watch().prefix('n/p/').startRevision(String(first)).create();
    const replayed = record(replay);
    const live = await client.watch().prefix('n/p/').withPreviousKV().create();
    const lived = record(live);
    await client.put('n/p/a').value('3');
    await eventually(() => replayed.length >= 3 && lived.length >= 1, 'history and live events');
    assert.deepEqual(replayed.map((s) => `${s.key}=${s.value}`), ['n/p/a=1', 'n/p/b=2', 'n/p/a=3']);
    assert.deepEqual(lived, [{ type: 'put', key: 'n/p/a', value: '3', previous: '1' }]);
    await replay.cancel();
    await live.cancel();
    await hubSettles(0);
  });

  test('fifty watchers on one client all see the one write they share', async () => {
    const watchers = await Promise.all(Array.from({ length: 50 }, () => client.watch().prefix('n/many/').create()));
    const seen = watchers.map(record);
    await hubSettles(50);
    await client.put('n/many/x').value('v');
    await eventually(() => seen.every((s) => s.length === 1), 'every watcher to see the put');
    await Promise.all(watchers.map((w) => w.cancel()));
    await hubSettles(0);
  });
});

describe('python-etcd3', () => {
  test('watch_prefix from a past revision iterates history then live events', async () => {
    const first = await putRevision(target.kv, 'py/a', '1');
    await putRevision(target.kv, 'py/b', '2');
    const got = await runPythonEtcd(target.endpoint, `
events, cancel = c.watch_prefix('py/', start_revision=${first})
c.put('py/a', '3')
got = []
for ev in events:
    got.append([type(ev).__name__, s(ev.key), s(ev.value), ev.mod_revision])
    if len(got) == 3:
        cancel()
out(got)
`);
    assert.deepEqual(got, [
      ['PutEvent', 'py/a', '1', first],
      ['PutEvent', 'py/b', '2', first + 1],
      ['PutEvent', 'py/a', '3', first + 2],
    ]);
  });

  test('add_watch_callback delivers puts and deletes until cancel_watch', async () => {
    const got = await runPythonEtcd(target.endpoint, `
import threading
got = []
done = threading.Event()
def callback(response):
    for ev in getattr(response, 'events', [response]):
        got.append([type(ev).__name__, s(ev.key)])
    if len(got) >= 2:
        done.set()
watch_id = c.add_watch_callback('pyc/k', callback)
c.put('pyc/k', 'v')
c.delete('pyc/k')
done.wait(10)
c.cancel_watch(watch_id)
out(got)
`);
    assert.deepEqual(got, [['PutEvent', 'pyc/k'], ['DeleteEvent', 'pyc/k']]);
    await hubSettles(0);
  });
});
