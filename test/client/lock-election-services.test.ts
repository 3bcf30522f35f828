// The server-side Lock and Election services through the client: one call blocks until
// the lock or leadership is granted to a lease, and releasing it hands it to the next.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TimeoutError } from '../../src/client/client-errors.js';
import { Etcd } from '../../src/client/etcd.js';
import { delay, missingFeature, openFixture, type ClientFixture } from './fixture.js';

const CONTENDERS = 3;
const ROUNDS = 3;

let fx: ClientFixture;
let skipLock: string | undefined;
let skipElection: string | undefined;
let clients: Etcd[] = [];
before(async () => {
  fx = await openFixture();
  const skipLease = await missingFeature(fx.etcd, 'lease');
  skipLock = skipLease ?? (await missingFeature(fx.etcd, 'lock'));
  skipElection = skipLease ?? (await missingFeature(fx.etcd, 'election'));
  clients = Array.from({ length: CONTENDERS }, () => new Etcd({ endpoints: [fx.server.endpoint] }));
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await fx?.close();
});

describe('lock service', () => {
  test('a held lock makes the next caller wait until unlock', async (t) => {
    if (skipLock !== undefined) return t.skip(skipLock);
    const name = fx.prefix('svc-lock');
    const [a, b] = [await fx.etcd.lease.grant(30), await fx.etcd.lease.grant(30)];
    const keyA = await fx.etcd.lockService.lock(name, a.id);
    assert.ok(keyA.toString().startsWith(name));
    await assert.rejects(fx.etcd.lockService.lock(name, b.id, { timeoutMs: 300 }), TimeoutError);
    const waiting = fx.etcd.lockService.lock(name, b.id);
    await fx.etcd.lockService.unlock(keyA);
    const keyB = await waiting;
    assert.notDeepEqual(keyB, keyA);
    await fx.etcd.lockService.unlock(keyB);
    await Promise.all([fx.etcd.lease.revoke(a.id), fx.etcd.lease.revoke(b.id)]);
  });

  test(`${CONTENDERS} clients x ${ROUNDS} rounds never hold it together`, async (t) => {
    if (skipLock !== undefined) return t.skip(skipLock);
    const name = fx.prefix('svc-lock-contended');
    let holders = 0;
    let maxHolders = 0;
    let rounds = 0;
    await Promise.all(
      clients.map(async (client) => {
        const lease = await client.lease.grant(30);
        for (let round = 0; round < ROUNDS; round++) {
          const key = await client.lockService.lock(name, lease.id);
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          await delay(5);
          holders--;
          rounds++;
          await client.lockService.unlock(key);
        }
        await client.lease.revoke(lease.id);
      }),
    );
    assert.equal(maxHolders, 1);
    assert.equal(rounds, CONTENDERS * ROUNDS);
  });
});

describe('election service', () => {
  test('campaign, proclaim, observe, resign, and the next candidate takes over', async (t) => {
    if (skipElection !== undefined) return t.skip(skipElection);
    const name = fx.prefix('svc-election');
    const [a, b] = [await fx.etcd.lease.grant(30), await fx.etcd.lease.grant(30)];
    assert.equal(await fx.etcd.electionService.leader(name), undefined);
    const leaderA = await fx.etcd.electionService.campaign(name, a.id, 'alice');
    assert.equal((await fx.etcd.electionService.leader(name))?.value.toString(), 'alice');

    const observer = new AbortController();
    const seen: string[] = [];
    const observing = (async () => {
      for await (const kv of clients[0]!.electionService.observe(name, { signal: observer.signal })) seen.push(kv.value.toString());
    })();
    const bobCampaign = clients[1]!.electionService.campaign(name, b.id, 'bob');
    await delay(200);
    await fx.etcd.electionService.proclaim(leaderA, 'alice-2');
    await delay(200);
    await fx.etcd.electionService.resign(leaderA);
    const leaderB = await bobCampaign;
    assert.equal((await fx.etcd.electionService.leader(name))?.value.toString(), 'bob');
    await delay(200);
    observer.abort();
    await observing;
    assert.deepEqual(seen, ['alice', 'alice-2', 'bob']);
    await fx.etcd.electionService.resign(leaderB);
    await Promise.all([fx.etcd.lease.revoke(a.id), fx.etcd.lease.revoke(b.id)]);
  });
});
