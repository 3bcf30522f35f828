// Leases in a three-member cluster (in one process): followers forward keep-alives
// and time-to-live reads to the leader, only the leader expires leases, and a new
// leader gives every lease a full TTL again, so a failover expires nothing early.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freeLoopbackPort, startServer, type RunningServer } from '../../src/embed/start-server.js';
import { RangeRequest, type LeaseKeepAliveResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { bytes, call, connect, sleep, type Clients } from './lease-fixture.js';

const MEMBER_COUNT = 3;
let members: RunningServer[] = [];
const clients = new Map<RunningServer, Clients>();

before(async () => {
  const names = Array.from({ length: MEMBER_COUNT }, (_, index) => `m${index}`);
  const peerUrls = await Promise.all(names.map(async () => `http://127.0.0.1:${await freeLoopbackPort()}`));
  const initialCluster = names.map((name, index) => ({ name, peerUrls: [peerUrls[index]!] }));
  members = await Promise.all(
    names.map((name, index) =>
      startServer({
        name,
        overrides: { listenPeerUrls: [new URL(peerUrls[index]!)], initialAdvertisePeerUrls: [peerUrls[index]!], initialCluster },
      }),
    ),
  );
  for (const member of members) clients.set(member, connect(member.endpoint));
});
after(async () => {
  for (const client of clients.values()) client.close();
  await Promise.all(members.map((member) => member.close()));
});

async function leaderAndFollower(among: RunningServer[]): Promise<{ leader: RunningServer; follower: RunningServer }> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { leader: leaderId } = await among[0]!.server.status();
    const leader = among.find((member) => member.server.memberId === leaderId);
    const follower = among.find((member) => member.server.memberId !== leaderId);
    if (leader !== undefined && follower !== undefined) return { leader, follower };
    await sleep(100);
  }
  throw new Error('no leader elected');
}

const lease = (member: RunningServer) => clients.get(member)!.lease;
const kv = (member: RunningServer) => clients.get(member)!.kv;
const keyCount = async (member: RunningServer, key: string): Promise<bigint> =>
  (await call(kv(member).range.bind(kv(member)), RangeRequest.fromPartial({ key: bytes(key) }))).count;

describe('a lease in a cluster', () => {
  test('a follower forwards keep-alive and time-to-live to the leader; only the leader’s lessor expires', async () => {
    const { leader, follower } = await leaderAndFollower(members);
    const { ID } = await call(lease(follower).leaseGrant.bind(lease(follower)), { TTL: 30n, ID: 0n });
    const ttl = await call(lease(follower).leaseTimeToLive.bind(lease(follower)), { ID, keys: false });
    assert.equal(ttl.grantedTTL, 30n);
    assert.ok(ttl.TTL >= 29n && ttl.TTL <= 30n, `remaining ${ttl.TTL}`);
    assert.equal(ttl.header?.memberId, follower.server.memberId);
    const stream = lease(follower).leaseKeepAlive();
    const answered = new Promise<LeaseKeepAliveResponse>((resolve) => stream.once('data', resolve));
    stream.write({ ID });
    assert.equal((await answered).TTL, 30n);
    stream.end();
    assert.equal(leader.server.lessor.isPrimary, true);
    assert.equal(follower.server.lessor.isPrimary, false);
    assert.equal(follower.server.lessor.findExpired(10).length, 0);
  });

  test('a failover neither loses a lease nor expires it early; the new leader expires it later', async () => {
    const { leader } = await leaderAndFollower(members);
    const { ID } = await call(lease(leader).leaseGrant.bind(lease(leader)), { TTL: 4n, ID: 0n });
    const value = { value: bytes('v'), prevKv: false, ignoreValue: false, ignoreLease: false };
    await call(kv(leader).put.bind(kv(leader)), { key: bytes('fo/key'), lease: ID, ...value });
    await sleep(2500);
    clients.get(leader)!.close();
    clients.delete(leader);
    await leader.close();
    const survivors = members.filter((member) => member !== leader);
    const { leader: next } = await leaderAndFollower(survivors);
    const electedAtMs = Date.now();
    // 4 s after the grant the old leader would have expired it; the new one must not.
    await sleep(2000);
    assert.equal(await keyCount(next, 'fo/key'), 1n);
    let goneAtMs = 0;
    for (let poll = 0; poll < 150 && goneAtMs === 0; poll++) {
      if ((await keyCount(next, 'fo/key')) === 0n) goneAtMs = Date.now();
      else await sleep(50);
    }
    assert.ok(goneAtMs > 0, 'the new leader never expired the lease');
    assert.ok(goneAtMs - electedAtMs >= 4000 - 500, `expired ${goneAtMs - electedAtMs} ms after the new leader was found`);
    for (const member of survivors) assert.equal(await keyCount(member, 'fo/key'), 0n);
  });
});
