// The Lease API: grant, revoke, time-to-live, list, and keep-alive handles.
import {
  LeaseGrantRequest,
  LeaseService,
  LeaseTimeToLiveRequest,
} from '../generated/etcdserverpb/rpc.js';
import { toBigInt, type Int64 } from './bytes.js';
import type { CallOptions } from './client-options.js';
import { EtcdClientError } from './client-errors.js';
import { LeaseKeepAlive } from './lease-keep-alive.js';
import type { RpcCaller } from './rpc-caller.js';
import { status as GrpcStatus } from '@grpc/grpc-js';

export interface GrantResult {
  id: bigint;
  ttlSeconds: bigint;
  revision: bigint;
}

export interface TimeToLiveResult {
  id: bigint;
  /** Seconds left; -1 when the lease does not exist (expired or revoked). */
  ttlSeconds: bigint;
  grantedTtlSeconds: bigint;
  keys: Buffer[];
}

export class LeaseClient {
  private readonly keepAlives = new Set<LeaseKeepAlive>();

  constructor(private readonly rpc: RpcCaller) {}

  /** Grants a lease of `ttlSeconds`; `id` 0 (default) lets the server choose. */
  async grant(ttlSeconds: Int64, options: { id?: Int64 } & CallOptions = {}): Promise<GrantResult> {
    const request = LeaseGrantRequest.fromPartial({ TTL: toBigInt(ttlSeconds), ID: toBigInt(options.id ?? 0) });
    const response = await this.rpc.unary(LeaseService.leaseGrant, request, 'at-most-once', options);
    if (response.error !== '') throw new EtcdClientError(GrpcStatus.UNKNOWN, response.error);
    return { id: response.ID, ttlSeconds: response.TTL, revision: response.header?.revision ?? 0n };
  }

  async revoke(id: Int64, options?: CallOptions): Promise<void> {
    // Revoking twice only fails with "lease not found", so a retry is harmless.
    await this.rpc.unary(LeaseService.leaseRevoke, { ID: toBigInt(id) }, 'idempotent', options);
  }

  async timeToLive(id: Int64, options: { keys?: boolean } & CallOptions = {}): Promise<TimeToLiveResult> {
    const request = LeaseTimeToLiveRequest.fromPartial({ ID: toBigInt(id), keys: options.keys ?? false });
    const response = await this.rpc.unary(LeaseService.leaseTimeToLive, request, 'idempotent', options);
    return { id: response.ID, ttlSeconds: response.TTL, grantedTtlSeconds: response.grantedTTL, keys: response.keys };
  }

  async leases(options?: CallOptions): Promise<bigint[]> {
    const response = await this.rpc.unary(LeaseService.leaseLeases, {}, 'idempotent', options);
    return response.leases.map((lease) => lease.ID);
  }

  /** Renews the lease until `close()`, or until it is lost (see `lost` and `signal`). */
  keepAlive(id: Int64, ttlSeconds: Int64): LeaseKeepAlive {
    const handle: LeaseKeepAlive = new LeaseKeepAlive(this.rpc, toBigInt(id), toBigInt(ttlSeconds), () => this.keepAlives.delete(handle));
    this.keepAlives.add(handle);
    return handle;
  }

  /** Closes every keep-alive this client started. */
  async close(): Promise<void> {
    const handles = [...this.keepAlives];
    this.keepAlives.clear();
    await Promise.all(handles.map((handle) => handle.close()));
  }
}
