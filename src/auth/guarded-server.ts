// The API edge's auth wrapper around the server: each call is checked as its caller
// before any work (reads) or any proposal (writes), and writes carry the caller into
// the log so the apply loop checks again at their auth revision. Reads served from
// the local store fail if the auth store changed while they ran (etcd's doSerialize).
import { AsyncLocalStorage } from 'node:async_hooks';
import { EtcdError } from '../errors/etcd-error.js';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
  TxnResponse,
} from '../generated/etcdserverpb/rpc.js';
import type { LocalStore, WriteResult } from '../mvcc/kv-view.js';
import type { AuthGate } from './auth-gate.js';
import type { AuthStore } from './auth-store.js';
import type { Caller } from './caller.js';
import { checkDeleteRange, checkLeaseReads, checkLeaseWrites, checkPut, checkRange, checkTxn, type LeaseKeys } from './request-permissions.js';

/** What the guard needs from the server (declared here: the server depends on auth, not the reverse). */
export interface GuardedTarget {
  range(request: RangeRequest): Promise<RangeResponse>;
  put(request: PutRequest, caller: Caller | null): Promise<PutResponse>;
  deleteRange(request: DeleteRangeRequest, caller: Caller | null): Promise<DeleteRangeResponse>;
  txn(request: TxnRequest, caller: Caller | null): Promise<TxnResponse>;
  leaseRevoke(request: LeaseRevokeRequest, caller: Caller | null): Promise<LeaseRevokeResponse>;
  leaseGrant(request: LeaseGrantRequest): Promise<LeaseGrantResponse>;
  header(revision?: number): ResponseHeader;
  onWrite(listener: (result: WriteResult) => void): void;
  readonly store: LocalStore;
}

/** The server as a caller's own client sees it (what Lock and Election are built on). */
export interface ConcurrencyView {
  range(request: RangeRequest): Promise<RangeResponse>;
  txn(request: TxnRequest): Promise<TxnResponse>;
  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  leaseGrant(request: LeaseGrantRequest): Promise<LeaseGrantResponse>;
  header(revision?: number): ResponseHeader;
  onWrite(listener: (result: WriteResult) => void): void;
  readonly store: LocalStore;
}

function isReadOnly(request: TxnRequest): boolean {
  const ops = [...request.success, ...request.failure];
  return ops.every((op) => op.request?.$case === 'requestRange' || (op.request?.$case === 'requestTxn' && isReadOnly(op.request.value)));
}

export class GuardedServer {
  /** The caller of the Lock or Election call running now (etcd passes it in the context). */
  private readonly currentCaller = new AsyncLocalStorage<Caller | null>();

  constructor(
    readonly gate: AuthGate,
    private readonly server: GuardedTarget,
    private readonly leaseKeys: LeaseKeys,
  ) {
    this.concurrency = this.concurrencyView();
  }

  get auth(): AuthStore {
    return this.gate.auth;
  }

  async range(caller: Caller | null, request: RangeRequest): Promise<RangeResponse> {
    checkRange(this.auth, caller, request);
    const response = await this.server.range(request);
    this.checkNotStale(caller);
    return response;
  }

  put(caller: Caller | null, request: PutRequest): Promise<PutResponse> {
    checkPut(this.auth, caller, request, this.leaseKeys);
    return this.server.put(request, caller);
  }

  deleteRange(caller: Caller | null, request: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    checkDeleteRange(this.auth, caller, request);
    return this.server.deleteRange(request, caller);
  }

  async txn(caller: Caller | null, request: TxnRequest): Promise<TxnResponse> {
    checkTxn(this.auth, caller, request, this.leaseKeys);
    const response = await this.server.txn(request, caller);
    if (isReadOnly(request)) this.checkNotStale(caller);
    return response;
  }

  leaseRevoke(caller: Caller | null, request: LeaseRevokeRequest): Promise<LeaseRevokeResponse> {
    checkLeaseWrites(this.auth, caller, request.ID, this.leaseKeys);
    return this.server.leaseRevoke(request, caller);
  }

  /** Listing a lease's keys needs read permission on every one of them. */
  checkLeaseKeysReadable(caller: Caller | null, leaseId: bigint): void {
    if (this.auth.enabled && caller === null) throw new EtcdError('UserEmpty');
    checkLeaseReads(this.auth, caller, leaseId, this.leaseKeys);
  }

  /** Root only (maintenance, membership, auth management). */
  checkAdmin(caller: Caller | null): void {
    this.auth.checkAdmin(caller);
  }

  /** Runs a Lock or Election call so that its KV requests (through `concurrency`) act as `caller`. */
  runAs<T>(caller: Caller | null, body: () => Promise<T>): Promise<T> {
    return this.currentCaller.run(caller, body);
  }

  /** The server as the Lock and Election services see it: one object (watch registries key on it), acting as the caller of `runAs`. */
  readonly concurrency: ConcurrencyView;

  private concurrencyView(): ConcurrencyView {
    const server = this.server;
    return {
      range: (request) => this.range(this.callerNow(), request),
      txn: (request) => this.txn(this.callerNow(), request),
      deleteRange: (request) => this.deleteRange(this.callerNow(), request),
      leaseGrant: (request) => server.leaseGrant(request),
      header: (revision) => server.header(revision),
      onWrite: (listener) => server.onWrite(listener),
      get store() {
        return server.store;
      },
    };
  }

  private callerNow(): Caller | null {
    return this.currentCaller.getStore() ?? null;
  }

  private checkNotStale(caller: Caller | null): void {
    if (caller !== null && caller.revision !== 0 && caller.revision !== this.auth.revision) throw new EtcdError('AuthOldRevision');
  }
}
