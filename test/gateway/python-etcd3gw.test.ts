// python3-etcd3gw, a client that speaks only the JSON gateway, against etcd-ts:
// put/get/delete, transactions, leases, watch and its lease-based lock.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runPython } from '../support/python.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const PYTHON_TIMEOUT_MS = 20_000;

let server: ServerProcess;
before(async () => {
  server = await startServer({ target: 'etcd-ts', name: 'etcd3gw' });
});
after(async () => {
  await server?.stop();
});

/** Runs a snippet with `c`, an etcd3gw client on the server's /v3 gateway, and returns what it prints last. */
function withClient(body: string): Promise<unknown> {
  const [host, port] = server.endpoint.split(':');
  const prelude = [
    'import json',
    'from etcd3gw.client import Etcd3Client',
    `c = Etcd3Client(host='${host}', port=${port}, api_path='/v3/')`,
  ].join('\n');
  return runPython(`${prelude}\n${body}`, { timeoutMs: PYTHON_TIMEOUT_MS });
}

test('put, get with metadata, get_prefix and delete', async () => {
  const result = await withClient(`
c.put('py/a', '1')
c.put('py/b', '2')
value, meta = c.get('py/a', metadata=True)[0]
prefix = sorted(v.decode() for v, _ in c.get_prefix('py/'))
deleted = c.delete('py/a')
print(json.dumps([value.decode(), meta['version'], prefix, deleted, c.get('py/a')]))`);
  assert.deepEqual(result, ['1', '1', ['1', '2'], true, []]);
});

test('create (a transaction) succeeds once, and replace compares the value', async () => {
  const result = await withClient(`
first = c.create('py/once', 'x')
second = c.create('py/once', 'y')
swapped = c.replace('py/once', 'x', 'z')
stale = c.replace('py/once', 'x', 'w')
print(json.dumps([first, second, swapped, stale, c.get('py/once')[0].decode()]))`);
  assert.deepEqual(result, [true, false, true, false, 'z']);
});

test('a lease keeps its keys until it is revoked', async () => {
  const result = await withClient(`
lease = c.lease(ttl=30)
c.put('py/leased', 'v', lease=lease)
ttl = lease.ttl()
keys = [k.decode() for k in lease.keys()]
refreshed = lease.refresh()
lease.revoke()
print(json.dumps([0 < ttl <= 30, keys, refreshed, c.get('py/leased')]))`);
  assert.deepEqual(result, [true, ['py/leased'], 30, []]);
});

test('watch_once from a past revision sees that put', async () => {
  const result = await withClient(`
c.put('py/watched', 'seen')
rev = int(c.get('py/watched', metadata=True)[0][1]['mod_revision'])
event = c.watch_once('py/watched', timeout=5, start_revision=rev)
print(json.dumps([event['kv']['key'].decode(), event['kv']['value'].decode()]))`);
  assert.deepEqual(result, ['py/watched', 'seen']);
});

test('the lease-based lock is exclusive until released', async () => {
  const result = await withClient(`
first = c.lock('py-lock', ttl=30)
second = c.lock('py-lock', ttl=30)
got_first = first.acquire()
got_second_while_held = second.acquire()
first.release()
got_second_after = second.acquire()
second.release()
print(json.dumps([got_first, got_second_while_held, got_second_after]))`);
  assert.deepEqual(result, [true, false, true]);
});
