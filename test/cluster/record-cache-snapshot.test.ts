// A running member that installs a snapshot from the leader must not serve records it
// cached before under the same revisions. A healthy cluster never holds two different
// records at one revision, so the test makes them differ: while the member is frozen
// (SIGSTOP, its cache warm), the other two are stopped and the record is rewritten in
// their backends; they then run on until their log is compacted past the frozen member,
// which, thawed, catches up by snapshot and must read the snapshot's value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterProcess } from './support/cluster-process.js';
import { agreedLeader } from './support/cluster-status.js';
import { rewriteNewestValue } from './support/corrupt-backend.js';
import { RawKvPool, type RawKv } from '../support/raw-kv.js';
import { putAll } from './support/parallel-puts.js';

const SNAPSHOT_COUNT = 100;
/** More entries than the leader keeps for slow followers (SNAPSHOT_CATCH_UP_ENTRIES, 5,000) after a snapshot. */
const WRITES_WHILE_FROZEN = 5_600;
const LEADER_DEADLINE_MS = 15_000;
const KEYS = 20;
const REWRITTEN_KEY = 'rc/k03';
const POLL_MS = 200;
const POLLS_MAX = 150;

const PREFIX = { key: Buffer.from('rc/'), rangeEnd: Buffer.from('rc0'), serializable: true };

async function prefixValues(kv: RawKv): Promise<string[]> {
  const response = await kv.range(PREFIX);
  return response.kvs.map((item) => `${item.key.toString()}=${item.value.toString()}@${item.modRevision}`);
}

test('a member that caught up by snapshot reads the snapshot, not what it had cached', { timeout: 240_000 }, async () => {
  const cluster = await ClusterProcess.start(3, { args: [`--snapshot-count=${SNAPSHOT_COUNT}`] });
  const frozen = cluster.member(2);
  const clients = new RawKvPool();
  const client = (endpoint: string): RawKv => clients.open(endpoint);
  try {
    await agreedLeader(cluster.endpoints(), LEADER_DEADLINE_MS);
    const writer = client(cluster.member(0).endpoint);
    for (let i = 0; i < KEYS; i++) await writer.put({ key: Buffer.from(`rc/k${String(i).padStart(2, '0')}`), value: Buffer.from(`old-${i}`) });
    const frozenKv = client(frozen.endpoint);
    let before: string[] = [];
    for (let poll = 0; poll < POLLS_MAX && before.length < KEYS; poll++) {
      before = await prefixValues(frozenKv);
      if (before.length < KEYS) await sleep(POLL_MS);
    }
    assert.equal(before.length, KEYS, 'the member to freeze applied every write');
    // A record is cached on its second read and served from the cache on the third.
    for (let read = 0; read < 2; read++) assert.deepEqual(await prefixValues(frozenKv), before);
    assert.ok(before.some((line) => line.startsWith(`${REWRITTEN_KEY}=old-3@`)));

    frozen.pause();
    await Promise.all([cluster.member(0).stop(), cluster.member(1).stop()]);
    for (const index of [0, 1]) await rewriteNewestValue(cluster.member(index).dataDir, REWRITTEN_KEY, 'from-snapshot');
    await Promise.all([cluster.member(0).start(), cluster.member(1).start()]);
    const survivors = client(cluster.member(0).endpoint);
    await putAll(survivors, WRITES_WHILE_FROZEN, (i) => Buffer.from(`fill/${i}`), () => Buffer.from('x'));
    const expected = await prefixValues(survivors);
    assert.ok(expected.some((line) => line.startsWith(`${REWRITTEN_KEY}=from-snapshot@`)));

    frozen.resume();
    for (let poll = 0; poll < POLLS_MAX && !frozen.logs().includes('applied snapshot from the leader'); poll++) await sleep(POLL_MS);
    assert.match(frozen.logs(), /applied snapshot from the leader/);
    assert.deepEqual(await prefixValues(frozenKv), expected, 'the thawed member serves the snapshot, not its cache');
  } finally {
    frozen.resume();
    clients.closeAll();
    await cluster.stop();
  }
});
