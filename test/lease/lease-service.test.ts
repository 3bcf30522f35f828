// The Lease service over gRPC against an in-process server: etcd's answers and
// errors byte for byte, keys bound to leases, revocation at one revision, and
// expiry in real time (never before the TTL, soon after it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  RangeRequest,
  TxnRequest,
  type LeaseKeepAliveResponse,
} from '../../src/generated/etcdserverpb/rpc.js';
import { bytes, call, failure, sleep, startWithClients, type Fixture } from './lease-fixture.js';

let fixture: Fixture;
before(async () => {
  fixture = await startWithClients();
});
after(async () => {
  await fixture?.close();
});

const grant = (TTL: bigint, ID = 0n) => call(fixture.clients.lease.leaseGrant.bind(fixture.clients.lease), { TTL, ID });
const revoke = (ID: bigint) => call(fixture.clients.lease.leaseRevoke.bind(fixture.clients.lease), { ID });
const timeToLive = (ID: bigint, keys = false) => call(fixture.clients.lease.leaseTimeToLive.bind(fixture.clients.lease), { ID, keys });
const put = (key: string, lease: bigint, extra: { ignoreLease?: boolean } = {}) =>
  call(fixture.clients.kv.put.bind(fixture.clients.kv), {
    key: bytes(key),
    value: bytes('v'),
    lease,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: extra.ignoreLease ?? false,
  });
const get = (key: string, rangeEnd = '') =>
  call(fixture.clients.kv.range.bind(fixture.clients.kv), RangeRequest.fromPartial({ key: bytes(key), rangeEnd: bytes(rangeEnd) }));

describe('grant, time-to-live, list and revoke', () => {
  test('a granted lease answers its ID and TTL, is listed, and reads back its time to live', async () => {
    const granted = await grant(30n);
    assert.ok(granted.ID > 0n, 'the server picks a positive ID');
    assert.equal(granted.TTL, 30n);
    assert.equal(granted.error, '');
    const ttl = await timeToLive(granted.ID);
    assert.equal(ttl.grantedTTL, 30n);
    assert.ok(ttl.TTL === 29n || ttl.TTL === 30n, `remaining ${ttl.TTL}`);
    const listed = await call(fixture.clients.lease.leaseLeases.bind(fixture.clients.lease), {});
    assert.ok(listed.leases.some((lease) => lease.ID === granted.ID));
  });

  test('a client-chosen ID is kept; the same ID again fails as etcd fails', async () => {
    assert.equal((await grant(10n, 4242n)).ID, 4242n);
    assert.deepEqual(await failure(grant(10n, 4242n)), { code: status.FAILED_PRECONDITION, details: 'etcdserver: lease already exists' });
  });

  test('a TTL below the minimum is raised to it, one above the maximum is refused', async () => {
    assert.equal((await grant(1n)).TTL, 2n);
    assert.deepEqual(await failure(grant(9_000_000_001n)), { code: status.OUT_OF_RANGE, details: 'etcdserver: too large lease TTL' });
  });

  test('an unknown lease: revoke fails NOT_FOUND, time-to-live answers TTL -1', async () => {
    assert.deepEqual(await failure(revoke(987654321n)), { code: status.NOT_FOUND, details: 'etcdserver: requested lease not found' });
    const ttl = await timeToLive(987654321n, true);
    assert.equal(ttl.TTL, -1n);
    assert.equal(ttl.grantedTTL, 0n);
    assert.deepEqual(ttl.keys, []);
  });
});

describe('keys bound to leases', () => {
  test('put with an unknown lease fails and writes nothing', async () => {
    assert.deepEqual(await failure(put('lk/none', 555n)), { code: status.NOT_FOUND, details: 'etcdserver: requested lease not found' });
    assert.equal((await get('lk/none')).count, 0n);
  });

  test('time-to-live lists attached keys; a deleted or re-put key leaves the lease', async () => {
    const { ID } = await grant(60n);
    for (const key of ['lk/a', 'lk/b', 'lk/c']) await put(key, ID);
    await call(fixture.clients.kv.deleteRange.bind(fixture.clients.kv), { key: bytes('lk/b'), rangeEnd: Buffer.alloc(0), prevKv: false });
    await put('lk/c', 0n);
    assert.deepEqual((await timeToLive(ID, true)).keys.map(String), ['lk/a']);
  });

  test('ignore_lease keeps the key on its lease; a txn compares on LEASE', async () => {
    const { ID } = await grant(60n);
    await put('lk/keep', ID);
    await put('lk/keep', 0n, { ignoreLease: true });
    const [kv] = (await get('lk/keep')).kvs;
    assert.equal(kv?.lease, ID);
    const txn = TxnRequest.fromPartial({
      compare: [{ key: bytes('lk/keep'), target: Compare_CompareTarget.LEASE, result: Compare_CompareResult.EQUAL, targetUnion: { $case: 'lease', value: ID } }],
    });
    assert.equal((await call(fixture.clients.kv.txn.bind(fixture.clients.kv), txn)).succeeded, true);
  });

  test('revoking deletes every attached key in one revision and leaves other keys alone', async () => {
    const { ID } = await grant(60n);
    for (const key of ['rv/1', 'rv/2', 'rv/3']) await put(key, ID);
    await put('rv/free', 0n);
    const before = (await get('rv/free')).header?.revision ?? 0n;
    const revoked = await revoke(ID);
    assert.equal(revoked.header?.revision, before + 1n);
    const left = await get('rv/', 'rv0');
    assert.deepEqual(left.kvs.map((kv) => String(kv.key)), ['rv/free']);
    const history = fixture.running.server.store.read().range(bytes('rv/'), bytes('rv0'), { revision: Number(before), limit: 0, countOnly: false });
    assert.equal(history.count, 4);
  });
});

describe('expiry and keep-alive in real time', () => {
  test('an expired lease takes its key with it: never before the TTL, within 1.5 s after', async () => {
    const granted = await grant(2n);
    const grantedAtMs = Date.now();
    await put('exp/key', granted.ID);
    let goneAtMs = 0;
    for (let poll = 0; poll < 100 && goneAtMs === 0; poll++) {
      if ((await get('exp/key')).count === 0n) goneAtMs = Date.now();
      else await sleep(50);
    }
    const lifeMs = goneAtMs - grantedAtMs;
    assert.ok(goneAtMs > 0, 'the key was never deleted');
    assert.ok(lifeMs >= 2000, `deleted after only ${lifeMs} ms`);
    assert.ok(lifeMs <= 3500, `deleted only after ${lifeMs} ms`);
    assert.equal((await timeToLive(granted.ID)).TTL, -1n);
  });

  test('keep-alive answers the full TTL and keeps the lease past it; a gone lease answers TTL 0', async () => {
    const { ID } = await grant(2n);
    const stream = fixture.clients.lease.leaseKeepAlive();
    const responses: LeaseKeepAliveResponse[] = [];
    stream.on('data', (response: LeaseKeepAliveResponse) => responses.push(response));
    const ended = new Promise<void>((resolve) => stream.on('status', () => resolve()));
    for (let beat = 0; beat < 6; beat++) {
      stream.write({ ID });
      await sleep(500);
    }
    assert.ok((await timeToLive(ID)).TTL >= 1n, 'the lease outlived its TTL');
    await revoke(ID);
    stream.write({ ID });
    await sleep(200);
    stream.end();
    await ended;
    assert.equal(responses.length, 7);
    assert.ok(responses.slice(0, 6).every((response) => response.ID === ID && response.TTL === 2n));
    assert.equal(responses[6]?.TTL, 0n);
  });
});
