// Real processes, real faults, checked for linearizability: clients read, write
// and compare-and-set a few keys on a three-member cluster while a seeded nemesis
// SIGKILLs and restarts members and pauses them with SIGSTOP; the recorded history
// (timed-out calls left pending) must be linearizable, final reads included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterProcess } from './support/cluster-process.js';
import { call, nowNs, runKvClient, type Recorder } from './support/kv-workload.js';
import { rawClient } from '../support/grpc-raw.js';
import { KVService, RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { checkKvHistory } from '../../src/linearizability/index.js';
import { seededRandom } from '../../src/util/seeded-random.js';

const SEED = Number(process.env['FAULT_SEED'] ?? 7);
const DURATION_MS = Number(process.env['FAULT_DURATION_S'] ?? 12) * 1000;
const CLIENTS = 6;
const KEYS = ['a', 'b', 'c'];
const FAULT_EVERY_MS = 2500;
const FAULT_LENGTH_MS = 1200;

async function nemesis(cluster: ClusterProcess, stopAt: number, counts: Record<string, number>): Promise<void> {
  const random = seededRandom(SEED);
  while (Date.now() + FAULT_EVERY_MS < stopAt) {
    await sleep(FAULT_EVERY_MS - FAULT_LENGTH_MS);
    const member = cluster.member(random.int(0, cluster.members.length - 1));
    if (random.next() < 0.5) {
      await member.kill();
      counts['kill -9'] = (counts['kill -9'] ?? 0) + 1;
      await sleep(FAULT_LENGTH_MS);
      await member.start();
    } else {
      member.pause();
      counts['SIGSTOP'] = (counts['SIGSTOP'] ?? 0) + 1;
      await sleep(FAULT_LENGTH_MS);
      member.resume();
    }
  }
}

test(`a three-member cluster stays linearizable under kill -9 and SIGSTOP (seed ${SEED})`, { timeout: 180_000 }, async () => {
  const cluster = await ClusterProcess.start(3);
  try {
    const recorder: Recorder = { ops: [], ackedWriteTimesNs: [] };
    const counts: Record<string, number> = {};
    const stopAt = Date.now() + DURATION_MS;
    await Promise.all([
      ...Array.from({ length: CLIENTS }, (_, id) => runKvClient({ clientId: id, seed: SEED, endpoints: cluster.endpoints(), keys: KEYS, stopAt, recorder })),
      nemesis(cluster, stopAt, counts),
    ]);
    // Healed: every member up; a final read of every key joins the history.
    for (const member of cluster.members) if (!member.running) await member.start();
    const final = rawClient(cluster.endpoints()[0] ?? '');
    for (const key of KEYS) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const invokeTimeNs = nowNs();
        try {
          const response = await call(final, KVService.range, RangeRequest.fromPartial({ key: Buffer.from(key) }));
          recorder.ops.push({ kind: 'read', clientId: CLIENTS, key, input: null, output: { value: response.kvs[0]?.value.toString() ?? null }, invokeTimeNs, returnTimeNs: nowNs() });
          break;
        } catch {
          await sleep(250);
        }
      }
    }
    final.close();
    const answered = recorder.ops.filter((op) => op.returnTimeNs !== null).length;
    const result = checkKvHistory(recorder.ops);
    console.log(`faults: ${JSON.stringify(counts)}; ops: ${recorder.ops.length} (${answered} answered); check: ${JSON.stringify(result.ok)}`);
    assert.ok(answered > 100, `too few operations were answered (${answered}) to check anything`);
    assert.ok(Object.keys(counts).length > 0, 'the nemesis injected no fault');
    if (result.ok === false) assert.fail(`not linearizable on key ${result.key}:\n${result.explanation.text}`);
    assert.equal(result.ok, true, 'the checker could not decide within its budget');
  } finally {
    await cluster.stop();
  }
});
