// A thin promise wrapper over the KV and Maintenance services with the generated
// codecs, taking partial requests, for tests that need fields no client library sets.
import type * as grpc from '@grpc/grpc-js';
import {
  AlarmRequest,
  CompactionRequest,
  DefragmentRequest,
  DeleteRangeRequest,
  KVService,
  MaintenanceService,
  PutRequest,
  RangeRequest,
  StatusRequest,
  TxnRequest,
  type AlarmResponse,
  type CompactionResponse,
  type DeepPartial,
  type DefragmentResponse,
  type DeleteRangeResponse,
  type PutResponse,
  type RangeResponse,
  type StatusResponse,
  type TxnResponse,
} from '../../src/generated/etcdserverpb/rpc.js';
import { rawClient, unary } from './grpc-raw.js';

export class RawKv {
  readonly channel: grpc.Client;

  constructor(endpoint: string) {
    this.channel = rawClient(endpoint);
  }

  range(request: DeepPartial<RangeRequest>): Promise<RangeResponse> {
    return unary(this.channel, KVService.range, RangeRequest.fromPartial(request));
  }

  put(request: DeepPartial<PutRequest>): Promise<PutResponse> {
    return unary(this.channel, KVService.put, PutRequest.fromPartial(request));
  }

  deleteRange(request: DeepPartial<DeleteRangeRequest>): Promise<DeleteRangeResponse> {
    return unary(this.channel, KVService.deleteRange, DeleteRangeRequest.fromPartial(request));
  }

  txn(request: DeepPartial<TxnRequest>): Promise<TxnResponse> {
    return unary(this.channel, KVService.txn, TxnRequest.fromPartial(request));
  }

  compact(request: DeepPartial<CompactionRequest>): Promise<CompactionResponse> {
    return unary(this.channel, KVService.compact, CompactionRequest.fromPartial(request));
  }

  status(): Promise<StatusResponse> {
    return unary(this.channel, MaintenanceService.status, StatusRequest.fromPartial({}));
  }

  alarm(request: DeepPartial<AlarmRequest>): Promise<AlarmResponse> {
    return unary(this.channel, MaintenanceService.alarm, AlarmRequest.fromPartial(request));
  }

  defragment(): Promise<DefragmentResponse> {
    return unary(this.channel, MaintenanceService.defragment, DefragmentRequest.fromPartial({}));
  }

  /** A put then a read of the same key: proof the server still serves after an error. */
  async stillServes(key = 'still/serves'): Promise<string> {
    const stamp = `ok-${Date.now()}`;
    await this.put({ key: Buffer.from(key), value: Buffer.from(stamp) });
    const response = await this.range({ key: Buffer.from(key) });
    const value = response.kvs[0]?.value.toString('utf8') ?? '';
    if (value !== stamp) throw new Error(`server read back '${value}', wanted '${stamp}'`);
    return value;
  }

  close(): void {
    this.channel.close();
  }
}

/** Clients a test opens as it goes, closed together when it ends. */
export class RawKvPool {
  private readonly clients: RawKv[] = [];

  open(endpoint: string): RawKv {
    const kv = new RawKv(endpoint);
    this.clients.push(kv);
    return kv;
  }

  closeAll(): void {
    for (const kv of this.clients.splice(0)) kv.close();
  }
}

export const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
