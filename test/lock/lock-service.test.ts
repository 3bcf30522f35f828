// The Lock service over gRPC: keys under `<name>/<lease hex>`, first come first
// served, released by Unlock or by the holder's lease going away, and callers who
// give up leave the queue. Errors as etcd's internal client reports them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import type { LockResponse } from '../../src/generated/v3lockpb/v3lock.js';
import { bytes, call, failure, sleep, startWithClients, type Fixture } from '../lease/lease-fixture.js';

let fixture: Fixture;
before(async () => {
  fixture = await startWithClients();
});
after(async () => {
  await fixture?.close();
});

const grant = async (TTL = 60n): Promise<bigint> =>
  (await call(fixture.clients.lease.leaseGrant.bind(fixture.clients.lease), { TTL, ID: 0n })).ID;
const lock = (name: string, lease: bigint, timeoutMs?: number) =>
  call(fixture.clients.lock.lock.bind(fixture.clients.lock), { name: bytes(name), lease }, timeoutMs);
const unlock = (key: Buffer) => call(fixture.clients.lock.unlock.bind(fixture.clients.lock), { key });

/** Whether the promise has settled within a short while. */
async function settledSoon(promise: Promise<unknown>, ms = 300): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await sleep(ms);
  return settled;
}

describe('Lock', () => {
  test('an uncontended lock is granted at once under <name>/<lease in hex>', async () => {
    const lease = await grant();
    const held = await lock('lk-a', lease);
    assert.equal(String(held.key), `lk-a/${lease.toString(16)}`);
    assert.ok((held.header?.revision ?? 0n) > 0n);
    await unlock(held.key);
  });

  test('waiters are served in arrival order, each after the previous holder unlocks', async () => {
    const [first, second, third] = [await grant(), await grant(), await grant()];
    const held = await lock('lk-q', first);
    const secondWaits = lock('lk-q', second);
    await sleep(50);
    const thirdWaits = lock('lk-q', third);
    assert.equal(await settledSoon(secondWaits), false);
    await unlock(held.key);
    const secondHeld: LockResponse = await secondWaits;
    assert.equal(String(secondHeld.key), `lk-q/${second.toString(16)}`);
    assert.equal(await settledSoon(thirdWaits), false);
    await unlock(secondHeld.key);
    assert.equal(String((await thirdWaits).key), `lk-q/${third.toString(16)}`);
  });

  test('revoking the holder’s lease hands the lock to the next waiter', async () => {
    const [holder, waiter] = [await grant(), await grant()];
    await lock('lk-r', holder);
    const waiting = lock('lk-r', waiter);
    assert.equal(await settledSoon(waiting), false);
    await call(fixture.clients.lease.leaseRevoke.bind(fixture.clients.lease), { ID: holder });
    assert.equal(String((await waiting).key), `lk-r/${waiter.toString(16)}`);
  });

  test('a waiter whose deadline passes leaves the queue, so later waiters are not stuck behind it', async () => {
    const [holder, impatient, patient] = [await grant(), await grant(), await grant()];
    const held = await lock('lk-d', holder);
    assert.equal((await failure(lock('lk-d', impatient, 300))).code, status.DEADLINE_EXCEEDED);
    await sleep(100);
    const waiting = lock('lk-d', patient);
    await unlock(held.key);
    assert.equal(String((await waiting).key), `lk-d/${patient.toString(16)}`);
    const left = await call(fixture.clients.kv.range.bind(fixture.clients.kv), RangeRequest.fromPartial({ key: bytes(`lk-d/${impatient.toString(16)}`) }));
    assert.equal(left.count, 0n);
  });

  test('locking again with the lease that holds the lock returns at once with the same key', async () => {
    const lease = await grant();
    const first = await lock('lk-same', lease);
    const again = await lock('lk-same', lease);
    assert.deepEqual(again.key, first.key);
  });

  test('no lease: the server grants a 60 s one; an unknown lease fails as etcd reports it', async () => {
    const held = await lock('lk-auto', 0n);
    const hex = String(held.key).split('/')[1] ?? '';
    const ttl = await call(fixture.clients.lease.leaseTimeToLive.bind(fixture.clients.lease), { ID: BigInt(`0x${hex}`), keys: true });
    assert.equal(ttl.grantedTTL, 60n);
    assert.deepEqual(ttl.keys.map(String), [String(held.key)]);
    assert.deepEqual(await failure(lock('lk-bad', 123456789n)), { code: status.UNKNOWN, details: 'etcdserver: requested lease not found' });
  });

  test('unlocking a key that does not exist succeeds, as etcd', async () => {
    const response = await unlock(bytes('lk-none/1'));
    assert.ok(response.header !== undefined);
  });
});
