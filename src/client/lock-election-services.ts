// Clients for the server-side Lock and Election services (v3lockpb, v3electionpb): the
// server runs the recipe, so a lock or campaign is one blocking call tied to a lease.
import { ElectionService, type LeaderKey } from '../generated/v3electionpb/v3election.js';
import { LockService } from '../generated/v3lockpb/v3lock.js';
import type { KeyValue } from '../generated/mvccpb/kv.js';
import { toBigInt, toBuffer, type Bytes, type Int64 } from './bytes.js';
import type { CallOptions } from './client-options.js';
import { errorFromGrpc, isGrpcFailure } from './client-errors.js';
import type { RpcCaller } from './rpc-caller.js';

export type { LeaderKey };

export class LockServiceClient {
  constructor(private readonly rpc: RpcCaller) {}

  /**
   * Waits (up to the call's deadline) until the lock is held on behalf of `leaseId`; returns
   * the key that represents ownership. Not retried: a retry could queue a second waiter.
   */
  async lock(name: Bytes, leaseId: Int64, options?: CallOptions): Promise<Buffer> {
    const response = await this.rpc.unary(LockService.lock, { name: toBuffer(name), lease: toBigInt(leaseId) }, 'at-most-once', options);
    return response.key;
  }

  async unlock(key: Bytes, options?: CallOptions): Promise<void> {
    await this.rpc.unary(LockService.unlock, { key: toBuffer(key) }, 'idempotent', options);
  }
}

export class ElectionServiceClient {
  constructor(private readonly rpc: RpcCaller) {}

  /** Waits (up to the call's deadline) until `leaseId` leads election `name` with `value`. */
  async campaign(name: Bytes, leaseId: Int64, value: Bytes, options?: CallOptions): Promise<LeaderKey> {
    const request = { name: toBuffer(name), lease: toBigInt(leaseId), value: toBuffer(value) };
    const response = await this.rpc.unary(ElectionService.campaign, request, 'at-most-once', options);
    if (response.leader === undefined) throw new Error('campaign response without a leader key');
    return response.leader;
  }

  async proclaim(leader: LeaderKey, value: Bytes, options?: CallOptions): Promise<void> {
    await this.rpc.unary(ElectionService.proclaim, { leader, value: toBuffer(value) }, 'idempotent', options);
  }

  /** The current leader's key-value, or undefined when nobody leads. */
  async leader(name: Bytes, options?: CallOptions): Promise<KeyValue | undefined> {
    try {
      return (await this.rpc.unary(ElectionService.leader, { name: toBuffer(name) }, 'idempotent', options)).kv;
    } catch (error) {
      // etcd answers an empty election with this text rather than an empty response.
      if (error instanceof Error && /election: no leader/.test(error.message)) return undefined;
      throw error;
    }
  }

  async resign(leader: LeaderKey, options?: CallOptions): Promise<void> {
    await this.rpc.unary(ElectionService.resign, { leader }, 'idempotent', options);
  }

  /** Every leader value, as the server streams them, until the signal aborts. */
  async *observe(name: Bytes, options: { signal?: AbortSignal } = {}): AsyncGenerator<KeyValue, void, undefined> {
    const stream = await this.rpc.serverStream(ElectionService.observe, { name: toBuffer(name) }, { timeoutMs: OBSERVE_DEADLINE_MS, signal: options.signal });
    const onAbort = (): void => stream.cancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const response of stream as AsyncIterable<{ kv: KeyValue | undefined }>) {
        if (response.kv !== undefined) yield response.kv;
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      throw isGrpcFailure(error) ? errorFromGrpc(error) : error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      stream.cancel();
    }
  }
}

/** An observation is long-lived; it still needs some deadline, so it gets a day. */
const OBSERVE_DEADLINE_MS = 24 * 60 * 60 * 1000;
