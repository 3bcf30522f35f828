// The client against a three-member cluster: kill the member the client is using,
// and reads, writes and an open watch carry on through another member, the watch
// with no gap and no duplicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd } from '../../src/client/etcd.js';
import { ClusterProcess } from '../cluster/support/cluster-process.js';

const WRITES_BEFORE = 20;
const WRITES_AFTER = 20;
const WRITE_ATTEMPTS_MAX = 100;
const RETRY_PAUSE_MS = 100;
const WATCH_DEADLINE_MS = 30_000;

async function putEventually(etcd: Etcd, key: string, value: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await etcd.put(key, value, { timeoutMs: 2_000 });
      return;
    } catch (error) {
      // A write that failed mid-failover may or may not have landed; writing the same value again is harmless here.
      if (attempt >= WRITE_ATTEMPTS_MAX) throw error;
      await sleep(RETRY_PAUSE_MS);
    }
  }
}

test('killing the member a client uses: reads, writes and a watch carry on, the watch without gaps', async () => {
  const cluster = await ClusterProcess.start(3);
  const etcd = new Etcd({ endpoints: cluster.endpoints(), dialTimeoutMs: 3_000, defaultCallTimeoutMs: 5_000 });
  try {
    const watcher = await etcd.watch('failover/', { prefix: true });
    const seen: string[] = [];
    const collecting = (async () => {
      for await (const event of watcher.events()) {
        seen.push(event.kv.value.toString());
        if (seen.length >= WRITES_BEFORE + WRITES_AFTER) return;
      }
    })();
    for (let i = 0; i < WRITES_BEFORE; i++) await putEventually(etcd, `failover/${i}`, `v${i}`);

    const used = cluster.members.find((member) => member.endpoint === etcd.activeEndpoint);
    assert.ok(used !== undefined, `the client uses one of ${cluster.endpoints().join(',')}`);
    await used.kill();

    for (let i = WRITES_BEFORE; i < WRITES_BEFORE + WRITES_AFTER; i++) await putEventually(etcd, `failover/${i}`, `v${i}`);
    assert.notEqual(etcd.activeEndpoint, used.endpoint, 'the client moved to another member');
    assert.equal((await etcd.get(`failover/${WRITES_BEFORE}`))?.value.toString(), `v${WRITES_BEFORE}`);

    await Promise.race([collecting, sleep(WATCH_DEADLINE_MS).then(() => assert.fail(`watch saw only ${seen.length} events`))]);
    const expected = Array.from({ length: WRITES_BEFORE + WRITES_AFTER }, (_, i) => `v${i}`);
    // A retried write can land twice (same value, next revision); the watch must show every revision once, in order.
    const deduplicatedRuns = seen.filter((value, i) => value !== seen[i - 1]);
    assert.deepEqual(deduplicatedRuns, expected);
    await watcher.close();
  } finally {
    await etcd.close();
    await cluster.stop();
  }
});
