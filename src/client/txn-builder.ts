// Typed compares and ops for etcd transactions, and a builder that commits
// `if (all compares hold) then ops else ops` as one revision.
import {
  Compare,
  Compare_CompareResult,
  Compare_CompareTarget,
  RequestOp,
  TxnRequest,
  type ResponseOp,
  type ResponseHeader,
} from '../generated/etcdserverpb/rpc.js';
import { toBigInt, toBuffer, type Bytes, type Int64 } from './bytes.js';
import type { CallOptions } from './client-options.js';
import {
  buildDeleteRequest,
  buildPutRequest,
  buildRangeRequest,
  deleteResult,
  putResult,
  rangeEndFor,
  rangeResult,
  type DeleteOptions,
  type DeleteResult,
  type KeySelector,
  type PutOptions,
  type PutResult,
  type RangeOptions,
  type RangeResult,
} from './kv-requests.js';

export type CompareOperator = '=' | '!=' | '<' | '>';

const OPERATORS: Record<CompareOperator, Compare_CompareResult> = {
  '=': Compare_CompareResult.EQUAL,
  '!=': Compare_CompareResult.NOT_EQUAL,
  '<': Compare_CompareResult.LESS,
  '>': Compare_CompareResult.GREATER,
};

function compare(key: Bytes, operator: CompareOperator, target: Compare_CompareTarget, union: Compare['targetUnion'], range: KeySelector): Compare {
  const keyBuffer = toBuffer(key);
  return Compare.fromPartial({ key: keyBuffer, result: OPERATORS[operator], target, targetUnion: union, rangeEnd: rangeEndFor(keyBuffer, range) });
}

/** Compare builders: `cmp.value('k', '=', 'v')`, `cmp.createRevision('k', '=', 0)` (key absent), ... */
export const cmp = {
  value: (key: Bytes, operator: CompareOperator, value: Bytes, range: KeySelector = {}): Compare =>
    compare(key, operator, Compare_CompareTarget.VALUE, { $case: 'value', value: toBuffer(value) }, range),
  version: (key: Bytes, operator: CompareOperator, version: Int64, range: KeySelector = {}): Compare =>
    compare(key, operator, Compare_CompareTarget.VERSION, { $case: 'version', value: toBigInt(version) }, range),
  createRevision: (key: Bytes, operator: CompareOperator, revision: Int64, range: KeySelector = {}): Compare =>
    compare(key, operator, Compare_CompareTarget.CREATE, { $case: 'createRevision', value: toBigInt(revision) }, range),
  modRevision: (key: Bytes, operator: CompareOperator, revision: Int64, range: KeySelector = {}): Compare =>
    compare(key, operator, Compare_CompareTarget.MOD, { $case: 'modRevision', value: toBigInt(revision) }, range),
  lease: (key: Bytes, operator: CompareOperator, lease: Int64, range: KeySelector = {}): Compare =>
    compare(key, operator, Compare_CompareTarget.LEASE, { $case: 'lease', value: toBigInt(lease) }, range),
};

/** Op builders for the branches of a txn. */
export const op = {
  get: (key: Bytes, options?: RangeOptions): RequestOp => ({ request: { $case: 'requestRange', value: buildRangeRequest(key, options) } }),
  put: (key: Bytes, value: Bytes, options?: PutOptions): RequestOp => ({ request: { $case: 'requestPut', value: buildPutRequest(key, value, options) } }),
  delete: (key: Bytes, options?: DeleteOptions): RequestOp => ({
    request: { $case: 'requestDeleteRange', value: buildDeleteRequest(key, options) },
  }),
  txn: (nested: TxnBuilder): RequestOp => ({ request: { $case: 'requestTxn', value: nested.toRequest() } }),
};

export type OpResult =
  | { type: 'range'; result: RangeResult }
  | { type: 'put'; result: PutResult }
  | { type: 'delete'; result: DeleteResult }
  | { type: 'txn'; result: TxnResult };

export interface TxnResult {
  succeeded: boolean;
  revision: bigint;
  header: ResponseHeader | undefined;
  responses: OpResult[];
}

/** Commits a request; supplied by the KV API so the builder stays free of I/O. */
export type TxnCommitter = (request: TxnRequest, readOnly: boolean, options?: CallOptions) => Promise<TxnResult>;

export class TxnBuilder {
  private readonly compares: Compare[] = [];
  private readonly success: RequestOp[] = [];
  private readonly failure: RequestOp[] = [];

  constructor(private readonly committer?: TxnCommitter) {}

  when(...compares: Compare[]): this {
    this.compares.push(...compares);
    return this;
  }

  then(...ops: RequestOp[]): this {
    this.success.push(...ops);
    return this;
  }

  else(...ops: RequestOp[]): this {
    this.failure.push(...ops);
    return this;
  }

  toRequest(): TxnRequest {
    return TxnRequest.fromPartial({ compare: this.compares, success: this.success, failure: this.failure });
  }

  /** Reads only: safe to retry on another endpoint. */
  isReadOnly(): boolean {
    return [...this.success, ...this.failure].every(isReadOnlyOp);
  }

  commit(options?: CallOptions): Promise<TxnResult> {
    if (this.committer === undefined) throw new TypeError('a nested txn is committed by its parent');
    return this.committer(this.toRequest(), this.isReadOnly(), options);
  }
}

function isReadOnlyOp(requestOp: RequestOp): boolean {
  const request = requestOp.request;
  if (request === undefined || request.$case === 'requestRange') return true;
  if (request.$case === 'requestTxn') return [...request.value.success, ...request.value.failure].every(isReadOnlyOp);
  return false;
}

export function txnResult(response: { succeeded: boolean; header: ResponseHeader | undefined; responses: ResponseOp[] }): TxnResult {
  return {
    succeeded: response.succeeded,
    revision: response.header?.revision ?? 0n,
    header: response.header,
    responses: response.responses.map(opResult),
  };
}

function opResult(responseOp: ResponseOp): OpResult {
  const response = responseOp.response;
  switch (response?.$case) {
    case 'responseRange':
      return { type: 'range', result: rangeResult(response.value) };
    case 'responsePut':
      return { type: 'put', result: putResult(response.value) };
    case 'responseDeleteRange':
      return { type: 'delete', result: deleteResult(response.value) };
    case 'responseTxn':
      return { type: 'txn', result: txnResult(response.value) };
    case undefined:
      return { type: 'range', result: { revision: 0n, header: undefined, kvs: [], more: false, count: 0n } };
  }
}
