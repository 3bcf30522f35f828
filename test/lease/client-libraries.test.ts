// Leases, locks and elections as Node and Python users reach them: the npm etcd3
// client (lease objects with keep-alive, its lock and election recipes) and
// python-etcd3 (leases, refresh, locks), against a server process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { runPythonEtcd } from '../support/python.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { sleep } from './lease-fixture.js';

let server: ServerProcess;
let client: Etcd3;
before(async () => {
  server = await startServer({ name: 'leaseclients' });
  client = new Etcd3({ hosts: server.clientUrl, dialTimeout: 5_000 });
});
after(async () => {
  client?.close();
  await server?.stop();
});

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('npm etcd3', () => {
  test('a lease binds keys, answers keep-alives, and takes its keys when revoked', async () => {
    const lease = client.lease(10, { autoKeepAlive: false });
    await lease.put('nl/a').value('1');
    const id = await lease.grant();
    const kv = (await client.get('nl/a').exec()).kvs[0];
    assert.equal(kv?.lease, id);
    const kept = await lease.keepaliveOnce();
    assert.equal(kept.TTL, '10');
    assert.equal(kept.ID, id);
    await lease.revoke();
    assert.equal(await client.get('nl/a').string(), null);
  });

  test('automatic keep-alive holds a short lease past its TTL; released, it expires', async () => {
    const lease = client.lease(2);
    await lease.put('nl/kept').value('v');
    await sleep(3_500);
    assert.equal(await client.get('nl/kept').string(), 'v');
    lease.release();
    await eventually(async () => (await client.get('nl/kept').string()) === null, 'the released lease to expire');
  });

  test('a lock is exclusive until released', async () => {
    const held = await client.lock('nlock').ttl(10).acquire();
    await assert.rejects(client.lock('nlock').ttl(10).acquire());
    await held.release();
    const again = await client.lock('nlock').ttl(10).acquire();
    await again.release();
  });

  test('an election: the first candidate leads, the second after it resigns; the observer follows', async () => {
    const election = client.election('nel', 10);
    const first = election.campaign('alpha');
    await first.wait();
    const observer = await election.observe();
    assert.equal(observer.leader(), 'alpha');
    const changes: string[] = [];
    observer.on('change', (leader: string | undefined) => changes.push(String(leader)));
    const second = election.campaign('beta');
    await sleep(300);
    await first.resign();
    await second.wait();
    await eventually(async () => changes.includes('beta'), 'the observer to see the new leader');
    assert.equal(await election.leader(), 'beta');
    await second.resign();
    await observer.cancel();
  });
});

describe('python-etcd3', () => {
  test('a lease: keys, remaining and granted TTL, refresh, revoke', async () => {
    const got = await runPythonEtcd(server.endpoint, `
lease = c.lease(30)
c.put('pl/a', '1', lease=lease)
c.put('pl/b', '2', lease=lease)
before = {'granted': lease.granted_ttl, 'remaining': lease.remaining_ttl, 'keys': sorted(s(k) for k in lease.keys)}
refreshed = [r.TTL for r in lease.refresh()]
lease.revoke()
value, _ = c.get('pl/a')
out({'before': before, 'refreshed': refreshed, 'after': s(value), 'expired_ttl': lease.remaining_ttl})
`);
    const result = got as { before: { granted: number; remaining: number; keys: string[] }; refreshed: number[]; after: null; expired_ttl: number };
    assert.equal(result.before.granted, 30);
    assert.ok(result.before.remaining === 29 || result.before.remaining === 30);
    assert.deepEqual(result.before.keys, ['pl/a', 'pl/b']);
    assert.deepEqual(result.refreshed, [30]);
    assert.equal(result.after, null);
    assert.equal(result.expired_ttl, -1);
  });

  // The installed python-etcd3 cannot wait for a held lock (its retry hook no longer fits
  // tenacity), so the story takes the lock only when it is free.
  test('a lock holds its key on a lease of the lock TTL until released', async () => {
    const got = await runPythonEtcd(server.endpoint, `
lock = c.lock('plock', ttl=10)
acquired = lock.acquire()
value, kv = c.get('/locks/plock')
ttl = c.get_lease_info(kv.lease_id)
held = {'acquired': acquired, 'owner': lock.is_acquired(), 'granted': ttl.grantedTTL, 'keys': [s(k) for k in ttl.keys]}
lock.release()
gone, _ = c.get('/locks/plock')
with c.lock('plock', ttl=10) as again:
    reacquired = again.is_acquired()
out({'held': held, 'after_release': s(gone), 'reacquired': reacquired})
`);
    assert.deepEqual(got, {
      held: { acquired: true, owner: true, granted: 10, keys: ['/locks/plock'] },
      after_release: null,
      reacquired: true,
    });
  });
});
