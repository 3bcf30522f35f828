// Builds the encoded gRPC request of each spec operation, with a seeded key choice per client
// so runs are repeatable; requests go on the wire pre-encoded, exactly as a client would send them.
import {
  Compare,
  Compare_CompareResult,
  Compare_CompareTarget,
  KVService,
  PutRequest,
  RangeRequest,
  TxnRequest,
} from '../src/generated/etcdserverpb/rpc.js';
import type { Operation, UnaryOperation } from './spec-table.js';

export const KEY_PREFIX = 'bench/key/';
export const RANGE_PREFIX = 'bench/prefix/';
export const WATCH_PREFIX = 'bench/watch/';
/** Zero-padded key indices keep keys sorted and equally long. */
const KEY_INDEX_DIGITS = 10;

export interface EncodedRequest {
  path: string;
  payload: Buffer;
}

export interface RequestParams {
  valueBytes: number;
  keySpace: number;
}

export function keyOf(prefix: string, index: number): Buffer {
  return Buffer.from(prefix + String(index).padStart(KEY_INDEX_DIGITS, '0'));
}

/** The key that range-key specs read; pre-loaded before the run. */
export function singleRangeKey(): Buffer {
  return keyOf(KEY_PREFIX, 0);
}

/** Smallest key greater than every key with the given prefix (etcd's prefix range end). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i -= 1) {
    const byte = end[i] ?? 0;
    if (byte < 0xff) {
      end[i] = byte + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** xorshift32: cheap, seeded, good enough to spread keys uniformly. */
export function seededRandom(seed: number): () => number {
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

export function benchValue(valueBytes: number): Buffer {
  const value = Buffer.alloc(valueBytes);
  const random = seededRandom(valueBytes);
  for (let i = 0; i < valueBytes; i += 1) value[i] = 0x21 + Math.floor(random() * 94);
  return value;
}

function encodePut(key: Buffer, value: Buffer): Buffer {
  return KVService.put.requestSerialize(PutRequest.fromPartial({ key, value }));
}

function encodeTxnPut(key: Buffer, value: Buffer): Buffer {
  const compare = Compare.fromPartial({
    key,
    target: Compare_CompareTarget.VERSION,
    result: Compare_CompareResult.GREATER,
    targetUnion: { $case: 'version', value: 0n },
  });
  const put = { request: { $case: 'requestPut' as const, value: PutRequest.fromPartial({ key, value }) } };
  return KVService.txn.requestSerialize(TxnRequest.fromPartial({ compare: [compare], success: [put], failure: [put] }));
}

/** Returns a generator of requests for one client; constant requests are encoded once. */
export function requestFactory(op: UnaryOperation, params: RequestParams, seed: number): () => EncodedRequest {
  const random = seededRandom(seed);
  const value = benchValue(params.valueBytes);
  const randomKey = (): Buffer => keyOf(KEY_PREFIX, Math.floor(random() * params.keySpace));
  switch (op.kind) {
    case 'put':
      return () => ({ path: KVService.put.path, payload: encodePut(randomKey(), value) });
    case 'txn-put':
      return () => ({ path: KVService.txn.path, payload: encodeTxnPut(randomKey(), value) });
    case 'range-key': {
      const req = RangeRequest.fromPartial({ key: singleRangeKey(), serializable: op.serializable });
      const fixed = { path: KVService.range.path, payload: KVService.range.requestSerialize(req) };
      return () => fixed;
    }
    case 'range-prefix': {
      const prefix = Buffer.from(RANGE_PREFIX);
      const req = RangeRequest.fromPartial({ key: prefix, rangeEnd: prefixEnd(prefix), serializable: op.serializable });
      const fixed = { path: KVService.range.path, payload: KVService.range.requestSerialize(req) };
      return () => fixed;
    }
  }
}

/** Keys a spec needs to exist before the measured run. */
export function preloadKeys(op: Operation): Buffer[] {
  switch (op.kind) {
    case 'put':
    case 'txn-put':
    case 'watch':
    case 'lease-keep-alive':
      return [];
    case 'range-key':
      return [singleRangeKey()];
    case 'range-prefix':
      return Array.from({ length: op.prefixKeys }, (_, i) => keyOf(RANGE_PREFIX, i));
  }
}
