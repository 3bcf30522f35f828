// A member that was down while the others compacted their raft log catches up from
// a snapshot of the leader's backend: it serves every key the cluster has, and
// writes made after it rejoined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterProcess } from './support/cluster-process.js';
import { RawKv } from '../support/raw-kv.js';

// Small enough that the leader's log is compacted past the stopped member.
const SNAPSHOT_COUNT = 100;
const WRITES_WHILE_DOWN = 6000;
const CATCH_UP_ATTEMPTS_MAX = 100;
const CATCH_UP_PAUSE_MS = 200;
const PUT_ATTEMPTS_MAX = 5;

test('a member that missed more than the leader keeps in its log catches up by snapshot', { timeout: 240_000 }, async () => {
  const cluster = await ClusterProcess.start(3, { args: [`--snapshot-count=${SNAPSHOT_COUNT}`] });
  try {
    const lagging = cluster.member(2);
    await lagging.stop();
    const kv = new RawKv(cluster.member(0).endpoint);
    for (let i = 0; i < WRITES_WHILE_DOWN; i++) {
      const request = { key: Buffer.from(`snap/${String(i).padStart(5, '0')}`), value: Buffer.from(`v${i}`) };
      // If the stopped member was the leader, the first proposals can be lost while a new
      // one is elected ("request timed out"); writing the same value again is harmless.
      for (let attempt = 1; ; attempt++) {
        try {
          await kv.put(request);
          break;
        } catch (error) {
          if (attempt >= PUT_ATTEMPTS_MAX) throw error;
          await sleep(CATCH_UP_PAUSE_MS);
        }
      }
    }
    kv.close();

    await lagging.start();
    const caughtUp = new RawKv(lagging.endpoint);
    try {
      let count = 0;
      for (let attempt = 0; attempt < CATCH_UP_ATTEMPTS_MAX && count < WRITES_WHILE_DOWN; attempt++) {
        const response = await caughtUp.range({ key: Buffer.from('snap/'), rangeEnd: Buffer.from('snap0'), countOnly: true, serializable: true });
        count = Number(response.count);
        if (count < WRITES_WHILE_DOWN) await sleep(CATCH_UP_PAUSE_MS);
      }
      assert.equal(count, WRITES_WHILE_DOWN, 'the rejoined member has every key');
      assert.match(lagging.logs(), /applied snapshot from the leader/);
      await caughtUp.put({ key: Buffer.from('after-rejoin'), value: Buffer.from('x') });
      const leaderView = new RawKv(cluster.member(0).endpoint);
      assert.equal((await leaderView.range({ key: Buffer.from('after-rejoin') })).kvs[0]?.value.toString(), 'x');
      leaderView.close();
    } finally {
      caughtUp.close();
    }
  } finally {
    await cluster.stop();
  }
});
