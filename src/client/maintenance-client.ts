// The Maintenance API: status, alarms, defragment, hashes, leader moves, and the
// backend snapshot as a stream of chunks.
import {
  AlarmRequest,
  AlarmRequest_AlarmAction,
  AlarmType,
  MaintenanceService,
  type AlarmMember,
  type HashKVResponse,
  type SnapshotResponse,
  type StatusResponse,
} from '../generated/etcdserverpb/rpc.js';
import { toBigInt, type Int64 } from './bytes.js';
import type { CallOptions } from './client-options.js';
import { errorFromGrpc, isGrpcFailure } from './client-errors.js';
import type { RpcCaller } from './rpc-caller.js';

export { AlarmType };
export type { AlarmMember, StatusResponse, HashKVResponse };

export class MaintenanceClient {
  constructor(private readonly rpc: RpcCaller) {}

  /** Status of the member the client is connected to. */
  status(options?: CallOptions): Promise<StatusResponse> {
    return this.rpc.unary(MaintenanceService.status, {}, 'idempotent', options);
  }

  async alarms(options?: CallOptions): Promise<AlarmMember[]> {
    const request = AlarmRequest.fromPartial({ action: AlarmRequest_AlarmAction.GET });
    return (await this.rpc.unary(MaintenanceService.alarm, request, 'idempotent', options)).alarms;
  }

  /** Clears an alarm (memberId 0 and alarm NONE clear all of them, as etcdctl's "alarm disarm"). */
  async disarmAlarm(alarm: { memberId?: Int64; alarm?: AlarmType } = {}, options?: CallOptions): Promise<AlarmMember[]> {
    const request = AlarmRequest.fromPartial({
      action: AlarmRequest_AlarmAction.DEACTIVATE,
      memberID: toBigInt(alarm.memberId ?? 0),
      alarm: alarm.alarm ?? AlarmType.NONE,
    });
    return (await this.rpc.unary(MaintenanceService.alarm, request, 'idempotent', options)).alarms;
  }

  async defragment(options?: CallOptions): Promise<void> {
    await this.rpc.unary(MaintenanceService.defragment, {}, 'idempotent', options);
  }

  hashKv(revision: Int64 = 0, options?: CallOptions): Promise<HashKVResponse> {
    return this.rpc.unary(MaintenanceService.hashKv, { revision: toBigInt(revision) }, 'idempotent', options);
  }

  async moveLeader(targetId: Int64, options?: CallOptions): Promise<void> {
    await this.rpc.unary(MaintenanceService.moveLeader, { targetID: toBigInt(targetId) }, 'at-most-once', options);
  }

  /** The member's backend as a stream of chunks, ending with the whole database read. */
  async *snapshot(options?: CallOptions): AsyncGenerator<Buffer, void, undefined> {
    const stream = await this.rpc.serverStream(MaintenanceService.snapshot, {}, options);
    const onAbort = (): void => stream.cancel();
    options?.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of stream as AsyncIterable<SnapshotResponse>) yield chunk.blob;
    } catch (error) {
      throw isGrpcFailure(error) ? errorFromGrpc(error) : error;
    } finally {
      options?.signal?.removeEventListener('abort', onAbort);
      stream.cancel();
    }
  }
}
