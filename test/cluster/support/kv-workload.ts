// The client side of the fault tests: seeded clients that read, write and compare-and-set
// a few keys on any member, recording each call's invoke and return times (or no answer)
// for the linearizability checker, and moving to another member when one stops answering.
import { setTimeout as sleep } from 'node:timers/promises';
import type * as grpc from '@grpc/grpc-js';
import { rawClient, unary, type UnaryMethod } from '../../support/grpc-raw.js';
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  KVService,
  PutRequest,
  RangeRequest,
  TxnRequest,
} from '../../../src/generated/etcdserverpb/rpc.js';
import type { KvOperation, KvValue } from '../../../src/linearizability/index.js';
import { seededRandom, type SeededRandom } from '../../../src/util/seeded-random.js';

const CALL_DEADLINE_MS = 1_000;
const CLIENT_PAUSE_MS = 10;

export const nowNs = (): number => Number(process.hrtime.bigint());

export interface Recorder {
  readonly ops: KvOperation[];
  readonly ackedWriteTimesNs: number[];
}

export interface KvClientOptions {
  readonly clientId: number;
  readonly seed: number;
  readonly endpoints: readonly string[];
  readonly keys: readonly string[];
  /** Date.now() at which the client stops starting operations. */
  readonly stopAt: number;
  readonly recorder: Recorder;
}

export function call<Req, Res>(client: grpc.Client, method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
  return unary(client, method, request, CALL_DEADLINE_MS);
}

async function oneOperation(client: grpc.Client, keys: readonly string[], clientId: number, seq: number, random: SeededRandom, recorder: Recorder, lastSeen: Map<string, KvValue>): Promise<boolean> {
  const key = keys[random.int(0, keys.length - 1)] ?? '';
  const roll = random.next();
  const value = `c${clientId}-${seq}`;
  const expected = lastSeen.get(key) ?? null;
  const invokeTimeNs = nowNs();
  try {
    if (roll < 0.4) {
      const response = await call(client, KVService.range, RangeRequest.fromPartial({ key: Buffer.from(key) }));
      const seen = response.kvs[0]?.value.toString() ?? null;
      lastSeen.set(key, seen);
      recorder.ops.push({ kind: 'read', clientId, key, input: null, output: { value: seen }, invokeTimeNs, returnTimeNs: nowNs() });
    } else if (roll < 0.8) {
      await call(client, KVService.put, PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }));
      const returnTimeNs = nowNs();
      recorder.ops.push({ kind: 'write', clientId, key, input: { value }, output: {}, invokeTimeNs, returnTimeNs });
      recorder.ackedWriteTimesNs.push(returnTimeNs);
    } else {
      const compare = expected === null
        ? { key: Buffer.from(key), target: Compare_CompareTarget.VERSION, result: Compare_CompareResult.EQUAL, targetUnion: { $case: 'version' as const, value: 0n } }
        : { key: Buffer.from(key), target: Compare_CompareTarget.VALUE, result: Compare_CompareResult.EQUAL, targetUnion: { $case: 'value' as const, value: Buffer.from(expected) } };
      const response = await call(client, KVService.txn, TxnRequest.fromPartial({
        compare: [compare],
        success: [{ request: { $case: 'requestPut', value: { key: Buffer.from(key), value: Buffer.from(value) } } }],
      }));
      const returnTimeNs = nowNs();
      recorder.ops.push({ kind: 'cas', clientId, key, input: { expected, value }, output: { ok: response.succeeded }, invokeTimeNs, returnTimeNs });
      if (response.succeeded) recorder.ackedWriteTimesNs.push(returnTimeNs);
    }
    return true;
  } catch {
    // No answer: it may or may not have happened. Reads that never answered tell nothing.
    if (roll >= 0.4 && roll < 0.8) recorder.ops.push({ kind: 'write', clientId, key, input: { value }, output: null, invokeTimeNs, returnTimeNs: null });
    else if (roll >= 0.8) recorder.ops.push({ kind: 'cas', clientId, key, input: { expected, value }, output: null, invokeTimeNs, returnTimeNs: null });
    return false;
  }
}

/** One client's loop until stopAt; bounded by time, one call in flight at a time. */
export async function runKvClient(options: KvClientOptions): Promise<void> {
  const { clientId, endpoints, recorder } = options;
  const random = seededRandom(options.seed * 1000 + clientId);
  const lastSeen = new Map<string, KvValue>();
  let endpointIndex = clientId % endpoints.length;
  let client = rawClient(endpoints[endpointIndex] ?? '');
  for (let seq = 0; Date.now() < options.stopAt; seq++) {
    const answered = await oneOperation(client, options.keys, clientId, seq, random, recorder, lastSeen);
    if (!answered) {
      client.close();
      endpointIndex = (endpointIndex + 1) % endpoints.length;
      client = rawClient(endpoints[endpointIndex] ?? '');
    }
    await sleep(CLIENT_PAUSE_MS);
  }
  client.close();
}
