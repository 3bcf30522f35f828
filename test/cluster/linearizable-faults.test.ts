// Real processes, real faults, checked for linearizability: clients read, write
// and compare-and-set a few keys on a three-member cluster while a seeded nemesis
// SIGKILLs and restarts members and pauses them with SIGSTOP; the recorded history
// (timed-out calls left pending) must be linearizable, final reads included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as grpc from '@grpc/grpc-js';
import { ClusterProcess } from './support/cluster-process.js';
import { rawClient, unary, type UnaryMethod } from '../support/grpc-raw.js';
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  KVService,
  PutRequest,
  RangeRequest,
  TxnRequest,
} from '../../src/generated/etcdserverpb/rpc.js';
import { checkKvHistory, type KvOperation, type KvValue } from '../../src/linearizability/index.js';
import { seededRandom, type SeededRandom } from '../../src/util/seeded-random.js';

const SEED = Number(process.env['FAULT_SEED'] ?? 7);
const DURATION_MS = Number(process.env['FAULT_DURATION_S'] ?? 12) * 1000;
const CLIENTS = 6;
const KEYS = ['a', 'b', 'c'];
const CALL_DEADLINE_MS = 1000;
const CLIENT_PAUSE_MS = 10;
const FAULT_EVERY_MS = 2500;
const FAULT_LENGTH_MS = 1200;

const nowNs = (): number => Number(process.hrtime.bigint());

function call<Req, Res>(client: grpc.Client, method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
  return unary(client, method, request, CALL_DEADLINE_MS);
}

interface Recorder {
  readonly ops: KvOperation[];
}

async function oneOperation(client: grpc.Client, clientId: number, seq: number, random: SeededRandom, recorder: Recorder, lastSeen: Map<string, KvValue>): Promise<boolean> {
  const key = KEYS[random.int(0, KEYS.length - 1)] ?? 'a';
  const roll = random.next();
  const invokeTimeNs = nowNs();
  try {
    if (roll < 0.4) {
      const response = await call(client, KVService.range, RangeRequest.fromPartial({ key: Buffer.from(key) }));
      const value = response.kvs[0]?.value.toString() ?? null;
      lastSeen.set(key, value);
      recorder.ops.push({ kind: 'read', clientId, key, input: null, output: { value }, invokeTimeNs, returnTimeNs: nowNs() });
    } else if (roll < 0.8) {
      const value = `c${clientId}-${seq}`;
      await call(client, KVService.put, PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }));
      recorder.ops.push({ kind: 'write', clientId, key, input: { value }, output: {}, invokeTimeNs, returnTimeNs: nowNs() });
    } else {
      const expected = lastSeen.get(key) ?? null;
      const value = `c${clientId}-${seq}`;
      const compare = expected === null
        ? { key: Buffer.from(key), target: Compare_CompareTarget.VERSION, result: Compare_CompareResult.EQUAL, targetUnion: { $case: 'version' as const, value: 0n } }
        : { key: Buffer.from(key), target: Compare_CompareTarget.VALUE, result: Compare_CompareResult.EQUAL, targetUnion: { $case: 'value' as const, value: Buffer.from(expected) } };
      const response = await call(client, KVService.txn, TxnRequest.fromPartial({
        compare: [compare],
        success: [{ request: { $case: 'requestPut', value: { key: Buffer.from(key), value: Buffer.from(value) } } }],
      }));
      recorder.ops.push({ kind: 'cas', clientId, key, input: { expected, value }, output: { ok: response.succeeded }, invokeTimeNs, returnTimeNs: nowNs() });
    }
    return true;
  } catch {
    // No answer: it may or may not have happened. Reads that never answered tell nothing.
    if (roll >= 0.4 && roll < 0.8) recorder.ops.push({ kind: 'write', clientId, key, input: { value: `c${clientId}-${seq}` }, output: null, invokeTimeNs, returnTimeNs: null });
    else if (roll >= 0.8) recorder.ops.push({ kind: 'cas', clientId, key, input: { expected: lastSeen.get(key) ?? null, value: `c${clientId}-${seq}` }, output: null, invokeTimeNs, returnTimeNs: null });
    return false;
  }
}

async function runClient(clientId: number, endpoints: readonly string[], stopAt: number, recorder: Recorder): Promise<void> {
  const random = seededRandom(SEED * 1000 + clientId);
  const lastSeen = new Map<string, KvValue>();
  let endpointIndex = clientId % endpoints.length;
  let client = rawClient(endpoints[endpointIndex] ?? '');
  for (let seq = 0; Date.now() < stopAt; seq++) {
    const answered = await oneOperation(client, clientId, seq, random, recorder, lastSeen);
    if (!answered) {
      client.close();
      endpointIndex = (endpointIndex + 1) % endpoints.length;
      client = rawClient(endpoints[endpointIndex] ?? '');
    }
    await sleep(CLIENT_PAUSE_MS);
  }
  client.close();
}

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
    const recorder: Recorder = { ops: [] };
    const counts: Record<string, number> = {};
    const stopAt = Date.now() + DURATION_MS;
    await Promise.all([
      ...Array.from({ length: CLIENTS }, (_, id) => runClient(id, cluster.endpoints(), stopAt, recorder)),
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
