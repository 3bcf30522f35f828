// One watch as an async iterator of event batches. It survives reconnects by resuming
// at the revision after the last one delivered, so a consumer sees no gap and no
// duplicate; a compacted start revision ends it with a WatchCompactedError.
import { status as GrpcStatus, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  WatchCreateRequest,
  WatchCreateRequest_FilterType,
  WatchService,
  type WatchRequest,
  type WatchResponse,
} from '../generated/etcdserverpb/rpc.js';
import { Event_EventType, type Event, type KeyValue } from '../generated/mvccpb/kv.js';
import { toBigInt, type Bytes, type Int64 } from './bytes.js';
import { EtcdClientError, WatchCompactedError, errorFromGrpc, isGrpcFailure } from './client-errors.js';
import type { PickedEndpoint } from './endpoint-pool.js';
import { keyRange, type KeySelector } from './kv-requests.js';
import { sleep, type RpcCaller } from './rpc-caller.js';

/** Batches held for a slow consumer before the stream is paused (HTTP/2 flow control takes over). */
export const WATCH_BUFFER_BATCHES_MAX = 1_024;
/** Reconnect attempts in a row without a successful create before the watch fails. */
export const WATCH_RECONNECT_ATTEMPTS_MAX = 60;
export const WATCH_RECONNECT_BACKOFF_MS_MAX = 1_000;
/** Fragments of one oversized response joined before giving up on the server. */
export const WATCH_FRAGMENTS_MAX = 10_000;

export interface WatchOptions extends KeySelector {
  /** First revision to deliver; absent: changes after the watch is created. */
  startRevision?: Int64;
  prevKv?: boolean;
  noPut?: boolean;
  noDelete?: boolean;
  /** Ask the server for periodic empty batches that advance the revision. */
  progressNotify?: boolean;
  signal?: AbortSignal;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  kv: KeyValue;
  prevKv: KeyValue | undefined;
}

export interface WatchBatch {
  /** The store's revision when the server sent the batch. */
  revision: bigint;
  events: WatchEvent[];
  /** A progress notification: no events, the watch has seen everything up to `revision`. */
  progress: boolean;
}

type Outcome = { kind: 'batch'; batch: WatchBatch } | { kind: 'error'; error: Error } | { kind: 'end' };

export class Watcher implements AsyncIterable<WatchBatch> {
  private readonly queue: Outcome[] = [];
  private waiting: ((outcome: Outcome) => void) | undefined;
  private call: ClientDuplexStream<WatchRequest, WatchResponse> | undefined;
  private endpoint: PickedEndpoint | undefined;
  private nextRevision: bigint;
  private fragments: Event[] = [];
  private finished = false;
  private paused = false;
  private resolveCreated!: (revision: bigint) => void;
  private rejectCreated!: (error: Error) => void;
  /** Resolves with the revision the watch started at once the server has created it. */
  readonly created: Promise<bigint>;

  constructor(
    private readonly rpc: RpcCaller,
    private readonly key: Bytes,
    private readonly options: WatchOptions,
    private readonly onFinish: () => void = () => {},
  ) {
    this.nextRevision = options.startRevision === undefined ? 0n : toBigInt(options.startRevision);
    this.created = new Promise((resolve, reject) => {
      this.resolveCreated = resolve;
      this.rejectCreated = reject;
    });
    this.created.catch(() => {});
    options.signal?.addEventListener('abort', () => void this.close(), { once: true });
    void this.run();
  }

  /** Stops the watch; pending and future iterations end. Safe to call twice. */
  async close(): Promise<void> {
    this.finish({ kind: 'end' });
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /** Every event, one at a time, across batches. */
  async *events(): AsyncGenerator<WatchEvent, void, undefined> {
    for await (const batch of this) yield* batch.events;
  }

  private async next(): Promise<IteratorResult<WatchBatch>> {
    const outcome = this.queue.shift() ?? (this.finished ? { kind: 'end' as const } : await new Promise<Outcome>((resolve) => (this.waiting = resolve)));
    if (this.paused && this.queue.length < WATCH_BUFFER_BATCHES_MAX / 2) {
      this.paused = false;
      this.call?.resume();
    }
    if (outcome.kind === 'batch') return { done: false, value: outcome.batch };
    if (outcome.kind === 'error') throw outcome.error;
    return { done: true, value: undefined };
  }

  private deliver(outcome: Outcome): void {
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      waiting(outcome);
      return;
    }
    this.queue.push(outcome);
    if (!this.paused && this.queue.length >= WATCH_BUFFER_BATCHES_MAX) {
      this.paused = true;
      this.call?.pause();
    }
  }

  private finish(outcome: Outcome): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish();
    if (outcome.kind === 'error') this.rejectCreated(outcome.error);
    else this.rejectCreated(new EtcdClientError(GrpcStatus.CANCELLED, 'watch closed before it was created'));
    this.call?.cancel();
    this.call = undefined;
    this.deliver(outcome);
  }

  private async run(): Promise<void> {
    let failures = 0;
    let reauthenticated = false;
    while (!this.finished) {
      const result = await this.streamOnce().catch((error: unknown) => ({ error, created: false }));
      if (this.finished) return;
      if (result.created) failures = 0;
      const error = toClientError(result.error);
      if (this.rpc.isAuthRetry(error) && !reauthenticated) {
        reauthenticated = true;
        await this.rpc.refreshToken().catch(() => {});
        continue;
      }
      if (!isReconnectable(error) || ++failures > WATCH_RECONNECT_ATTEMPTS_MAX) {
        this.finish({ kind: 'error', error });
        return;
      }
      if (this.endpoint !== undefined) this.rpc.markFailed(this.endpoint);
      await sleep(Math.min(WATCH_RECONNECT_BACKOFF_MS_MAX, 25 * 2 ** failures));
    }
  }

  /** One stream's life: create the watch (from nextRevision), relay responses until the stream ends. */
  private async streamOnce(): Promise<{ error: unknown; created: boolean }> {
    const { call, endpoint } = await this.rpc.bidi(WatchService.watch);
    if (this.finished) {
      call.cancel();
      return { error: undefined, created: false };
    }
    this.call = call;
    this.endpoint = endpoint;
    this.fragments = [];
    let created = false;
    return new Promise((resolve) => {
      call.on('data', (response: WatchResponse) => {
        if (response.created) created = true;
        this.onResponse(response);
      });
      call.on('error', (error: unknown) => resolve({ error, created }));
      call.on('end', () => resolve({ error: new EtcdClientError(GrpcStatus.UNAVAILABLE, 'watch stream ended'), created }));
      call.write({ requestUnion: { $case: 'createRequest', value: this.createRequest() } });
    });
  }

  private createRequest(): WatchCreateRequest {
    const filters: WatchCreateRequest_FilterType[] = [];
    if (this.options.noPut === true) filters.push(WatchCreateRequest_FilterType.NOPUT);
    if (this.options.noDelete === true) filters.push(WatchCreateRequest_FilterType.NODELETE);
    return WatchCreateRequest.fromPartial({
      ...keyRange(this.key, this.options),
      startRevision: this.nextRevision,
      prevKv: this.options.prevKv ?? false,
      progressNotify: this.options.progressNotify ?? false,
      filters,
      fragment: true,
    });
  }

  private onResponse(response: WatchResponse): void {
    const revision = response.header?.revision ?? 0n;
    if (response.compactRevision > 0n) {
      const message = `etcdserver: mvcc: required revision has been compacted (compact revision ${response.compactRevision})`;
      this.finish({ kind: 'error', error: new WatchCompactedError(response.compactRevision, message) });
      return;
    }
    if (response.canceled) {
      this.finish({ kind: 'error', error: new EtcdClientError(GrpcStatus.CANCELLED, response.cancelReason || 'watch canceled by the server') });
      return;
    }
    if (response.created) {
      // A watch from "now" must resume after the creation revision, not from "now" again.
      if (this.nextRevision === 0n) this.nextRevision = revision + 1n;
      this.resolveCreated(this.nextRevision);
      return;
    }
    this.onEvents(response, revision);
  }

  private onEvents(response: WatchResponse, revision: bigint): void {
    if (response.fragment) {
      if (this.fragments.length + response.events.length > WATCH_FRAGMENTS_MAX) {
        this.finish({ kind: 'error', error: new EtcdClientError(GrpcStatus.RESOURCE_EXHAUSTED, 'watch response has too many fragments') });
        return;
      }
      this.fragments.push(...response.events);
      return;
    }
    const all = this.fragments.length === 0 ? response.events : [...this.fragments, ...response.events];
    this.fragments = [];
    // After a resume the server starts at nextRevision; anything older would be a duplicate.
    const fresh = all.filter((event) => (event.kv?.modRevision ?? 0n) >= this.nextRevision);
    if (all.length === 0) {
      if (revision >= this.nextRevision) this.nextRevision = revision + 1n;
      if (this.options.progressNotify === true) this.deliver({ kind: 'batch', batch: { revision, events: [], progress: true } });
      return;
    }
    if (fresh.length === 0) return;
    this.nextRevision = fresh[fresh.length - 1]!.kv!.modRevision + 1n;
    this.deliver({ kind: 'batch', batch: { revision, events: fresh.map(toWatchEvent), progress: false } });
  }
}

function toWatchEvent(event: Event): WatchEvent {
  const kv = event.kv ?? { key: Buffer.alloc(0), value: Buffer.alloc(0), createRevision: 0n, modRevision: 0n, version: 0n, lease: 0n };
  return { type: event.type === Event_EventType.DELETE ? 'delete' : 'put', kv, prevKv: event.prevKv };
}

function toClientError(error: unknown): Error {
  if (error instanceof Error && !isGrpcFailure(error)) return error;
  if (isGrpcFailure(error)) return errorFromGrpc(error);
  return new EtcdClientError(GrpcStatus.UNKNOWN, String(error));
}

// A member going away, or a stream cut without a status, is worth a reconnect; a refusal
// by the server (permission, bad request) is not. CANCELLED counts as going away because
// this client only cancels streams it has already finished with: a server that resets
// its streams at shutdown (grpc-js forceShutdown) reports CANCELLED where etcd says UNAVAILABLE.
const RECONNECT_CODES: ReadonlySet<number> = new Set([GrpcStatus.UNAVAILABLE, GrpcStatus.INTERNAL, GrpcStatus.UNKNOWN, GrpcStatus.CANCELLED]);

function isReconnectable(error: Error): boolean {
  return error instanceof EtcdClientError && RECONNECT_CODES.has(error.grpcCode);
}
