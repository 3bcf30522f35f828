// The KV API: get, range, put, delete, compact, transactions, and paging through a
// large range at one fixed revision.
import { CompactionRequest, KVService, type CompactionResponse } from '../generated/etcdserverpb/rpc.js';
import { toBigInt, type Bytes, type Int64 } from './bytes.js';
import type { CallOptions } from './client-options.js';
import {
  buildDeleteRequest,
  buildPutRequest,
  buildRangeRequest,
  deleteResult,
  putResult,
  keyRange,
  rangeResult,
  type DeleteOptions,
  type DeleteResult,
  type KeySelector,
  type KeyValue,
  type PutOptions,
  type PutResult,
  type RangeOptions,
  type RangeResult,
} from './kv-requests.js';
import type { RpcCaller } from './rpc-caller.js';
import { TxnBuilder, txnResult, type TxnResult } from './txn-builder.js';

export const PAGE_SIZE_DEFAULT = 1_000;
export const PAGE_SIZE_MAX = 100_000;

export interface PageOptions extends KeySelector, CallOptions {
  pageSize?: number;
  /** Page through the range as of this revision (default: the revision of the first page). */
  revision?: Int64;
  keysOnly?: boolean;
  serializable?: boolean;
}

export class KvClient {
  constructor(private readonly rpc: RpcCaller) {}

  /** The key's current (or `revision`'s) value, or undefined when absent. */
  async get(key: Bytes, options: Omit<RangeOptions, keyof KeySelector> & CallOptions = {}): Promise<KeyValue | undefined> {
    const result = await this.range(key, { ...options, limit: 1 });
    return result.kvs[0];
  }

  /** A value as a UTF-8 string, or undefined when absent. */
  async getString(key: Bytes, options?: CallOptions): Promise<string | undefined> {
    return (await this.get(key, options))?.value.toString('utf8');
  }

  async range(key: Bytes, options: RangeOptions & CallOptions = {}): Promise<RangeResult> {
    const response = await this.rpc.unary(KVService.range, buildRangeRequest(key, options), 'idempotent', options);
    return rangeResult(response);
  }

  async put(key: Bytes, value: Bytes, options: PutOptions & CallOptions = {}): Promise<PutResult> {
    const response = await this.rpc.unary(KVService.put, buildPutRequest(key, value, options), 'at-most-once', options);
    return putResult(response);
  }

  async delete(key: Bytes, options: DeleteOptions & CallOptions = {}): Promise<DeleteResult> {
    const response = await this.rpc.unary(KVService.deleteRange, buildDeleteRequest(key, options), 'at-most-once', options);
    return deleteResult(response);
  }

  async compact(revision: Int64, options: { physical?: boolean } & CallOptions = {}): Promise<CompactionResponse> {
    const request = CompactionRequest.fromPartial({ revision: toBigInt(revision), physical: options.physical ?? false });
    return this.rpc.unary(KVService.compact, request, 'at-most-once', options);
  }

  /** `etcd.txn().when(cmp...).then(op...).else(op...).commit()`. */
  txn(): TxnBuilder {
    return new TxnBuilder(async (request, readOnly, options) => {
      const response = await this.rpc.unary(KVService.txn, request, readOnly ? 'idempotent' : 'at-most-once', options);
      return txnResult(response);
    });
  }

  /**
   * Yields the range in pages of `pageSize` keys, all read at the same revision, so the
   * pages together are one consistent snapshot even while others write.
   */
  async *pages(key: Bytes, options: PageOptions = {}): AsyncGenerator<KeyValue[], void, undefined> {
    const pageSize = options.pageSize ?? PAGE_SIZE_DEFAULT;
    if (!(pageSize >= 1 && pageSize <= PAGE_SIZE_MAX)) throw new RangeError(`pageSize must be 1..${PAGE_SIZE_MAX}`);
    const range = keyRange(key, options);
    const rangeEnd = range.rangeEnd;
    let revision = options.revision === undefined ? 0n : toBigInt(options.revision);
    let start = range.key;
    // Each page starts strictly after the previous page's last key, so the loop ends;
    // the bound only guards against a server that ignores the limit.
    for (let page = 0; page < Number.MAX_SAFE_INTEGER; page++) {
      const result = await this.range(start, {
        rangeEnd: rangeEnd.length === 0 ? undefined : rangeEnd,
        limit: pageSize,
        revision,
        keysOnly: options.keysOnly,
        serializable: options.serializable,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
      });
      if (revision === 0n) revision = result.revision;
      if (result.kvs.length > 0) yield result.kvs;
      const last = result.kvs[result.kvs.length - 1];
      if (!result.more || last === undefined || rangeEnd.length === 0) return;
      start = Buffer.concat([last.key, Buffer.from([0])]);
    }
  }
}

export type { TxnResult };
