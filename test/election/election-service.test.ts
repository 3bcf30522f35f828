// The Election service over gRPC: the oldest candidate leads, Proclaim and Resign
// work only for the current leader key, Observe follows leaders and their values,
// and errors read exactly as etcd's (status UNKNOWN with the election's text).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import type { LeaderKey, LeaderResponse } from '../../src/generated/v3electionpb/v3election.js';
import { bytes, call, failure, sleep, startWithClients, type Fixture } from '../lease/lease-fixture.js';

let fixture: Fixture;
before(async () => {
  fixture = await startWithClients();
});
after(async () => {
  await fixture?.close();
});

const election = () => fixture.clients.election;
const grant = async (): Promise<bigint> => (await call(fixture.clients.lease.leaseGrant.bind(fixture.clients.lease), { TTL: 60n, ID: 0n })).ID;
const campaign = (name: string, lease: bigint, value: string, timeoutMs?: number) =>
  call(election().campaign.bind(election()), { name: bytes(name), lease, value: bytes(value) }, timeoutMs);
const leaderValue = async (name: string): Promise<string> => String((await call(election().leader.bind(election()), { name: bytes(name) })).kv?.value);
const proclaim = (leader: LeaderKey | undefined, value: string) => call(election().proclaim.bind(election()), { leader, value: bytes(value) });
const resign = (leader: LeaderKey | undefined) => call(election().resign.bind(election()), { leader });

describe('Campaign, Leader, Proclaim, Resign', () => {
  test('the first candidate leads at once; its key is <name>/<lease in hex>', async () => {
    const lease = await grant();
    const won = await campaign('el-a', lease, 'alpha');
    assert.equal(String(won.leader?.key), `el-a/${lease.toString(16)}`);
    assert.equal(won.leader?.lease, lease);
    assert.equal(won.leader?.rev, won.header?.revision);
    assert.equal(await leaderValue('el-a'), 'alpha');
  });

  test('a second candidate waits until the leader resigns, then leads', async () => {
    const first = await campaign('el-b', await grant(), 'one');
    let secondWon = false;
    const second = campaign('el-b', await grant(), 'two').then((response) => {
      secondWon = true;
      return response;
    });
    await sleep(300);
    assert.equal(secondWon, false);
    await proclaim(first.leader, 'one-again');
    assert.equal(await leaderValue('el-b'), 'one-again');
    await resign(first.leader);
    const won = await second;
    assert.equal(await leaderValue('el-b'), 'two');
    assert.deepEqual(await failure(proclaim(first.leader, 'stale')), { code: status.UNKNOWN, details: 'election: not leader' });
    await proclaim(won.leader, 'two-again');
    assert.equal(await leaderValue('el-b'), 'two-again');
  });

  test('no candidate: Leader fails with "election: no leader"', async () => {
    assert.deepEqual(await failure(call(election().leader.bind(election()), { name: bytes('el-empty') })), {
      code: status.UNKNOWN,
      details: 'election: no leader',
    });
  });

  test('Proclaim and Resign without a leader key fail as etcd; Resign of a stale key is a no-op', async () => {
    const missing = { code: status.UNKNOWN, details: '"leader" field must be provided' };
    assert.deepEqual(await failure(proclaim(undefined, 'x')), missing);
    assert.deepEqual(await failure(resign(undefined)), missing);
    const stale: LeaderKey = { name: bytes('el-x'), key: bytes('el-x/1'), rev: 99n, lease: 1n };
    assert.ok((await resign(stale)).header !== undefined);
  });

  test('a campaign with an unknown lease fails as etcd reports it', async () => {
    assert.deepEqual(await failure(campaign('el-bad', 424242n, 'v')), { code: status.UNKNOWN, details: 'etcdserver: requested lease not found' });
  });

  test('a candidate whose deadline passes leaves the queue', async () => {
    await campaign('el-d', await grant(), 'leader');
    const quitter = await grant();
    assert.equal((await failure(campaign('el-d', quitter, 'quitter', 300))).code, status.DEADLINE_EXCEEDED);
    await sleep(100);
    const range = await call(fixture.clients.kv.range.bind(fixture.clients.kv), RangeRequest.fromPartial({ key: bytes(`el-d/${quitter.toString(16)}`) }));
    assert.equal(range.count, 0n);
  });
});

describe('Observe', () => {
  test('reports the leader, each proclaimed value, and the next leader after a resignation', async () => {
    const first = await campaign('el-o', await grant(), 'v1');
    const stream = election().observe({ name: bytes('el-o') });
    const seen: string[] = [];
    stream.on('data', (response: LeaderResponse) => seen.push(String(response.kv?.value)));
    const closed = new Promise<void>((resolve) => stream.on('status', () => resolve()));
    stream.on('error', () => undefined);
    await sleep(200);
    await proclaim(first.leader, 'v2');
    const next = campaign('el-o', await grant(), 'w1');
    await sleep(100);
    await resign(first.leader);
    await next;
    await sleep(200);
    stream.cancel();
    await closed;
    assert.deepEqual(seen, ['v1', 'v2', 'w1']);
  });
});
