// A raw Watch stream over grpc-js with the generated codecs: tests see every
// field etcd sends (watch_id, created, canceled, compact_revision, fragment) and
// the order responses arrive in.
import * as grpc from '@grpc/grpc-js';
import {
  WatchClient,
  WatchCreateRequest,
  type DeepPartial,
  type WatchRequest,
  type WatchResponse,
} from '../../src/generated/etcdserverpb/rpc.js';

const NEXT_TIMEOUT_MS = 5000;

export class RawWatch {
  private readonly client: WatchClient;
  private readonly call: grpc.ClientDuplexStream<WatchRequest, WatchResponse>;
  private readonly received: WatchResponse[] = [];
  private readonly arrivals = new WeakMap<WatchResponse, number>();
  private waiter: (() => void) | null = null;
  private ended: grpc.StatusObject | Error | null = null;
  readonly finished: Promise<grpc.StatusObject | Error>;

  constructor(endpoint: string, options: { client?: WatchClient } = {}) {
    this.client = options.client ?? new WatchClient(endpoint, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
    this.call = this.client.watch();
    this.call.on('data', (response: WatchResponse) => {
      this.arrivals.set(response, performance.now());
      this.received.push(response);
      this.waiter?.();
    });
    this.finished = new Promise((resolve) => {
      this.call.on('status', (status: grpc.StatusObject) => {
        this.ended ??= status;
        resolve(status);
        this.waiter?.();
      });
      this.call.on('error', (error: Error) => {
        this.ended ??= error;
        resolve(error);
        this.waiter?.();
      });
    });
  }

  create(request: DeepPartial<WatchCreateRequest>): void {
    this.call.write({ requestUnion: { $case: 'createRequest', value: WatchCreateRequest.fromPartial(request) } });
  }

  cancel(watchId: bigint): void {
    this.call.write({ requestUnion: { $case: 'cancelRequest', value: { watchId } } });
  }

  requestProgress(): void {
    this.call.write({ requestUnion: { $case: 'progressRequest', value: {} } });
  }

  /** Half-closes: the client will send no more requests. */
  end(): void {
    this.call.end();
  }

  /** Stops reading from the transport (a slow client), or starts again. */
  pause(): void {
    this.call.pause();
  }

  resume(): void {
    this.call.resume();
  }

  /** The next response in arrival order; fails after a timeout or if the stream ended. */
  async next(timeoutMs = NEXT_TIMEOUT_MS): Promise<WatchResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = this.received.shift();
      if (response !== undefined) return response;
      if (this.ended !== null) throw new Error(`watch stream ended: ${describe(this.ended)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no watch response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** Asserts nothing arrives for `ms`: what a user waiting would see. */
  async expectSilence(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const extra = this.received.shift();
    if (extra !== undefined) throw new Error(`expected no response, got ${JSON.stringify(summary(extra))}`);
  }

  /** When the response arrived (performance.now() milliseconds). */
  arrivedAt(response: WatchResponse): number {
    return this.arrivals.get(response) ?? Number.NaN;
  }

  /** How many responses are waiting to be taken. */
  get pending(): number {
    return this.received.length;
  }

  /** Responses collected so far and not yet taken. */
  drain(): WatchResponse[] {
    return this.received.splice(0);
  }

  /** Closes our side and the channel; safe to call twice. */
  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

function describe(ended: grpc.StatusObject | Error): string {
  return ended instanceof Error ? ended.message : `${ended.code} ${ended.details}`;
}

/** The fields a test usually compares, with bigints as numbers. */
export function summary(response: WatchResponse): Record<string, unknown> {
  return {
    watchId: Number(response.watchId),
    created: response.created,
    canceled: response.canceled,
    compactRevision: Number(response.compactRevision),
    cancelReason: response.cancelReason,
    fragment: response.fragment,
    revision: Number(response.header?.revision ?? -1n),
    events: response.events.map((event) => `${event.type === 0 ? 'PUT' : 'DELETE'} ${event.kv?.key.toString() ?? ''}@${Number(event.kv?.modRevision ?? 0n)}`),
  };
}
