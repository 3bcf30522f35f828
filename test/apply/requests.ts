// Builders for KV requests in the applier tests, so each test reads as the
// request a client would send rather than as protobuf plumbing.
import {
  Compare,
  Compare_CompareResult as CompareResult,
  Compare_CompareTarget as CompareTarget,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  TxnRequest,
  type DeepPartial,
  type RequestOp,
} from '../../src/generated/etcdserverpb/rpc.js';

export { CompareResult, CompareTarget };

export function bytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** The range end that selects every key starting with `prefix`. */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix, 'utf8');
  let index = end.length - 1;
  while (index >= 0 && end[index] === 0xff) index -= 1;
  if (index < 0) return Buffer.from([0]);
  const last = end[index] ?? 0;
  const result = end.subarray(0, index + 1);
  result[index] = last + 1;
  return result;
}

export const FROM_KEY = Buffer.from([0]);

export function range(key: string, options: DeepPartial<RangeRequest> = {}): RangeRequest {
  return RangeRequest.fromPartial({ key: bytes(key), ...options });
}

export function put(key: string, value: string, options: DeepPartial<PutRequest> = {}): PutRequest {
  return PutRequest.fromPartial({ key: bytes(key), value: bytes(value), ...options });
}

export function del(
  key: string,
  options: DeepPartial<DeleteRangeRequest> = {},
): DeleteRangeRequest {
  return DeleteRangeRequest.fromPartial({ key: bytes(key), ...options });
}

export function txn(options: DeepPartial<TxnRequest>): TxnRequest {
  return TxnRequest.fromPartial(options);
}

export function rangeOp(key: string, options: DeepPartial<RangeRequest> = {}): RequestOp {
  return { request: { $case: 'requestRange', value: range(key, options) } };
}

export function putOp(
  key: string,
  value: string,
  options: DeepPartial<PutRequest> = {},
): RequestOp {
  return { request: { $case: 'requestPut', value: put(key, value, options) } };
}

export function delOp(key: string, options: DeepPartial<DeleteRangeRequest> = {}): RequestOp {
  return { request: { $case: 'requestDeleteRange', value: del(key, options) } };
}

export function txnOp(options: DeepPartial<TxnRequest>): RequestOp {
  return { request: { $case: 'requestTxn', value: txn(options) } };
}

type Operand = Compare['targetUnion'];

export function compare(
  key: string,
  target: CompareTarget,
  result: CompareResult,
  operand: Operand,
  rangeEnd: Buffer = Buffer.alloc(0),
): Compare {
  return Compare.fromPartial({ key: bytes(key), target, result, targetUnion: operand, rangeEnd });
}

export const version = (value: bigint): Operand => ({ $case: 'version', value });
export const createRevision = (value: bigint): Operand => ({ $case: 'createRevision', value });
export const modRevision = (value: bigint): Operand => ({ $case: 'modRevision', value });
export const leaseId = (value: bigint): Operand => ({ $case: 'lease', value });
export const value = (text: string): Operand => ({ $case: 'value', value: bytes(text) });
