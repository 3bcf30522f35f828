// A three-member cluster of real processes: every member lists the same members,
// a write on one is read on the others, a killed leader is replaced and writes go
// on, and the killed member catches up when it comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterProcess } from './support/cluster-process.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import type * as grpc from '@grpc/grpc-js';
import { RawKv } from '../support/raw-kv.js';
import { rawClient, unary } from '../support/grpc-raw.js';
import { KVService, PutRequest } from '../../src/generated/etcdserverpb/rpc.js';

const FAILOVER_DEADLINE_MS = 15_000;
const RETRY_PAUSE_MS = 50;
const ATTEMPT_DEADLINE_MS = 500;
const MEMBER_LIST_DEADLINE_MS = 5_000;
const STARTED_MEMBER_LINE = /^[0-9a-f]+, started, m[123], http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+, false$/;

/**
 * Every member logs ready once its own attributes are applied, but the member asked may
 * apply the others' a moment later (the member list is a local read, as in etcd 3.4).
 */
async function publishedMemberList(endpoint: string): Promise<string> {
  const started = Date.now();
  for (;;) {
    const list = await etcdctlOk(endpoint, ['member', 'list']);
    const lines = list.trim().split('\n');
    const complete = lines.length === 3 && lines.every((line) => STARTED_MEMBER_LINE.test(line));
    if (complete || Date.now() - started > MEMBER_LIST_DEADLINE_MS) return list;
    await sleep(RETRY_PAUSE_MS);
  }
}

interface StatusLine {
  endpoint: string;
  leader: bigint;
  memberId: bigint;
  term: bigint;
}

async function statuses(endpoints: readonly string[]): Promise<StatusLine[]> {
  const lines: StatusLine[] = [];
  for (const endpoint of endpoints) {
    const kv = new RawKv(endpoint);
    try {
      const status = await kv.status();
      lines.push({ endpoint, leader: status.leader, memberId: status.header?.memberId ?? 0n, term: status.raftTerm });
    } catch {
      // A member that is down simply has no line.
    } finally {
      kv.close();
    }
  }
  return lines;
}

function putOnce(client: grpc.Client, key: string, value: string): Promise<unknown> {
  return unary(client, KVService.put, PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }), ATTEMPT_DEADLINE_MS);
}

/** Retries with short attempts, so the time measured is the cluster's unavailability, not a client timeout. */
async function putWithRetry(endpoint: string, key: string, value: string, deadlineMs: number): Promise<number> {
  const started = Date.now();
  const client = rawClient(endpoint);
  try {
    for (;;) {
      try {
        await putOnce(client, key, value);
        return Date.now() - started;
      } catch (error) {
        if (Date.now() - started > deadlineMs) throw error;
        await sleep(RETRY_PAUSE_MS);
      }
    }
  } finally {
    client.close();
  }
}

test('a three-member cluster replicates, survives losing its leader, and the lost member catches up', async () => {
  const cluster = await ClusterProcess.start(3);
  try {
    const all = cluster.endpoints().join(',');
    const list = await publishedMemberList(cluster.endpoints()[0] ?? '');
    const lines = list.trim().split('\n');
    assert.equal(lines.length, 3, list);
    for (const line of lines) assert.match(line, STARTED_MEMBER_LINE);

    await etcdctlOk(cluster.endpoints()[0] ?? '', ['put', 'greeting', 'hello']);
    for (const endpoint of cluster.endpoints()) {
      assert.equal((await etcdctlOk(endpoint, ['get', 'greeting', '--print-value-only'])).trim(), 'hello');
    }

    const before = await statuses(cluster.endpoints());
    const leaders = new Set(before.map((line) => line.leader));
    assert.equal(leaders.size, 1, 'every member names the same leader');
    const leaderIndex = before.findIndex((line) => line.memberId === before[0]?.leader);
    assert.ok(leaderIndex >= 0);

    await cluster.member(leaderIndex).kill();
    const survivor = cluster.members.find((member) => member.running);
    assert.ok(survivor !== undefined);
    const unavailableMs = await putWithRetry(survivor.endpoint, 'after-failover', 'yes', FAILOVER_DEADLINE_MS);
    console.log(`leader kill: writes resumed after ${unavailableMs} ms`);
    const after = await statuses(cluster.members.filter((member) => member.running).map((member) => member.endpoint));
    assert.equal(new Set(after.map((line) => line.leader)).size, 1);
    assert.notEqual(after[0]?.leader, before[0]?.leader, 'a new leader was elected');

    await cluster.member(leaderIndex).start();
    const rejoined = cluster.member(leaderIndex).endpoint;
    const value = await etcdctl(rejoined, ['get', 'after-failover', '--print-value-only']);
    assert.equal(value.stdout.trim(), 'yes', value.stderr);
    const health = await etcdctl(all, ['endpoint', 'health', '--cluster']);
    assert.equal(health.code, 0, health.stderr);
  } finally {
    await cluster.stop();
  }
});
