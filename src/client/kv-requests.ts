// Turns the client's friendly KV options into etcd's request messages, and its
// responses into plain results; shared by the KV API and the txn builder.
import {
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  type DeleteRangeResponse,
  type PutResponse,
  type RangeResponse,
  type ResponseHeader,
} from '../generated/etcdserverpb/rpc.js';
import type { KeyValue } from '../generated/mvccpb/kv.js';
import { FROM_KEY_RANGE_END, prefixEnd, toBigInt, toBuffer, type Bytes, type Int64 } from './bytes.js';

export type { KeyValue };

/** Which keys an operation covers: one key, `[key, rangeEnd)`, a prefix, or every key >= key. */
export interface KeySelector {
  rangeEnd?: Bytes;
  prefix?: boolean;
  fromKey?: boolean;
}

export type SortOrder = 'none' | 'ascend' | 'descend';
export type SortTarget = 'key' | 'version' | 'create' | 'mod' | 'value';

export interface RangeOptions extends KeySelector {
  limit?: Int64;
  /** Read at this revision (0 or absent: the current one). */
  revision?: Int64;
  sortOrder?: SortOrder;
  sortTarget?: SortTarget;
  /** Served by the contacted member without a quorum round: possibly stale. */
  serializable?: boolean;
  keysOnly?: boolean;
  countOnly?: boolean;
  minModRevision?: Int64;
  maxModRevision?: Int64;
  minCreateRevision?: Int64;
  maxCreateRevision?: Int64;
}

export interface PutOptions {
  lease?: Int64;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

export interface DeleteOptions extends KeySelector {
  prevKv?: boolean;
}

export interface RangeResult {
  revision: bigint;
  header: ResponseHeader | undefined;
  kvs: KeyValue[];
  more: boolean;
  count: bigint;
}

export interface PutResult {
  revision: bigint;
  header: ResponseHeader | undefined;
  prevKv: KeyValue | undefined;
}

export interface DeleteResult {
  revision: bigint;
  header: ResponseHeader | undefined;
  deleted: bigint;
  prevKvs: KeyValue[];
}

const SORT_ORDERS: Record<SortOrder, RangeRequest_SortOrder> = {
  none: RangeRequest_SortOrder.NONE,
  ascend: RangeRequest_SortOrder.ASCEND,
  descend: RangeRequest_SortOrder.DESCEND,
};

const SORT_TARGETS: Record<SortTarget, RangeRequest_SortTarget> = {
  key: RangeRequest_SortTarget.KEY,
  version: RangeRequest_SortTarget.VERSION,
  create: RangeRequest_SortTarget.CREATE,
  mod: RangeRequest_SortTarget.MOD,
  value: RangeRequest_SortTarget.VALUE,
};

export function rangeEndFor(key: Buffer, selector: KeySelector): Buffer {
  const chosen = [selector.rangeEnd !== undefined, selector.prefix === true, selector.fromKey === true].filter(Boolean).length;
  if (chosen > 1) throw new TypeError('choose one of rangeEnd, prefix and fromKey');
  if (selector.rangeEnd !== undefined) return toBuffer(selector.rangeEnd);
  if (selector.prefix === true) return key.length === 0 ? FROM_KEY_RANGE_END : prefixEnd(key);
  if (selector.fromKey === true) return FROM_KEY_RANGE_END;
  return Buffer.alloc(0);
}

function optionalInt(value: Int64 | undefined): bigint {
  return value === undefined ? 0n : toBigInt(value);
}

export function buildRangeRequest(key: Bytes, options: RangeOptions = {}): RangeRequest {
  return RangeRequest.fromPartial({
    ...keyRange(key, options),
    limit: optionalInt(options.limit),
    revision: optionalInt(options.revision),
    sortOrder: SORT_ORDERS[options.sortOrder ?? 'none'],
    sortTarget: SORT_TARGETS[options.sortTarget ?? 'key'],
    serializable: options.serializable ?? false,
    keysOnly: options.keysOnly ?? false,
    countOnly: options.countOnly ?? false,
    minModRevision: optionalInt(options.minModRevision),
    maxModRevision: optionalInt(options.maxModRevision),
    minCreateRevision: optionalInt(options.minCreateRevision),
    maxCreateRevision: optionalInt(options.maxCreateRevision),
  });
}

/**
 * The key and range end a selector stands for. An empty prefix means "every key": etcd
 * spells that as key "\0" with range end "\0".
 */
export function keyRange(key: Bytes, selector: KeySelector): { key: Buffer; rangeEnd: Buffer } {
  const buffer = toBuffer(key);
  const rangeEnd = rangeEndFor(buffer, selector);
  return { key: selector.prefix === true && buffer.length === 0 ? FROM_KEY_RANGE_END : buffer, rangeEnd };
}

export function buildPutRequest(key: Bytes, value: Bytes, options: PutOptions = {}): PutRequest {
  return PutRequest.fromPartial({
    key: toBuffer(key),
    value: toBuffer(value),
    lease: optionalInt(options.lease),
    prevKv: options.prevKv ?? false,
    ignoreValue: options.ignoreValue ?? false,
    ignoreLease: options.ignoreLease ?? false,
  });
}

export function buildDeleteRequest(key: Bytes, options: DeleteOptions = {}): DeleteRangeRequest {
  return DeleteRangeRequest.fromPartial({ ...keyRange(key, options), prevKv: options.prevKv ?? false });
}

export function rangeResult(response: RangeResponse): RangeResult {
  return { revision: response.header?.revision ?? 0n, header: response.header, kvs: response.kvs, more: response.more, count: response.count };
}

export function putResult(response: PutResponse): PutResult {
  return { revision: response.header?.revision ?? 0n, header: response.header, prevKv: response.prevKv };
}

export function deleteResult(response: DeleteRangeResponse): DeleteResult {
  return { revision: response.header?.revision ?? 0n, header: response.header, deleted: response.deleted, prevKvs: response.prevKvs };
}
