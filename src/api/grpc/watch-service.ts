// The Watch service: one bidi stream per call. Requests become watch-stream
// operations; responses are written in order with the transport's back-pressure,
// so a client that stops reading fills only its own stream's buffer.
import { status, type ServerDuplexStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  WatchCreateRequest_FilterType,
  WatchService,
  type ResponseHeader,
  type WatchCreateRequest,
  type WatchRequest,
  type WatchResponse,
} from '../../generated/etcdserverpb/rpc.js';
import { EtcdError } from '../../errors/etcd-error.js';
import type { Logger } from '../../log/logger.js';
import type { Caller } from '../../auth/caller.js';
import type { GuardedServer } from '../../auth/guarded-server.js';
import { goStatusText, watchRefusal } from '../../auth/watch-permission.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { GRPC_OVERHEAD_BYTES } from '../../server/server-options.js';
import { fragmentResponse } from '../../watch/fragment-response.js';
import { serializeWatchResponse } from '../../watch/watch-response-encoding.js';
import { serverWatch, type StoppableStream } from '../../watch/watch-hub-registry.js';
import { WatchStream, type CreateWatch } from '../../watch/watch-stream.js';
import { GrpcStatusError, toServiceError } from './map-error.js';
import type { Decoded } from './safe-codec.js';
import { withSafeDecoding } from './service-definition.js';

/** Responses written per turn of the event loop before yielding to other streams. */
const WRITES_PER_TURN_MAX = 256;

type WatchCall = ServerDuplexStream<Decoded<WatchRequest>, WatchResponse>;

function toCreateWatch(request: WatchCreateRequest): CreateWatch {
  const start = request.startRevision > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(request.startRevision);
  return {
    watchId: request.watchId,
    key: request.key,
    rangeEnd: request.rangeEnd,
    startRevision: start,
    progressNotify: request.progressNotify,
    prevKv: request.prevKv,
    fragment: request.fragment,
    // etcd ignores filter values it does not know.
    noPut: request.filters.includes(WatchCreateRequest_FilterType.NOPUT),
    noDelete: request.filters.includes(WatchCreateRequest_FilterType.NODELETE),
  };
}

const UNARY_DECODE_PREFIX = 'grpc: error unmarshalling request: ';

/** gRPC-Go words a bad message on a stream differently from one on a unary call. */
function asStreamDecodeError(error: GrpcStatusError): GrpcStatusError {
  if (error.code !== status.INTERNAL || !error.details.startsWith(UNARY_DECODE_PREFIX)) return error;
  return new GrpcStatusError(status.INTERNAL, `grpc: failed to unmarshal the received message: ${error.details.slice(UNARY_DECODE_PREFIX.length)}`);
}

class WatchCallHandler implements StoppableStream {
  private readonly stream: WatchStream;
  private readonly registry: Set<StoppableStream>;
  private readonly split: (response: WatchResponse) => WatchResponse[];
  private flushQueued = false;
  private blocked = false;
  private paused = false;
  /** A create waits for its token's check (a JWT not seen before): requests behind it wait too. */
  private awaitingAuth = false;
  private done = false;

  constructor(
    private readonly call: WatchCall,
    server: EtcdServer,
    header: (revision: number) => ResponseHeader,
    private readonly logger: Logger,
    private readonly guard: GuardedServer,
  ) {
    const watch = serverWatch(server);
    this.registry = watch.streams;
    this.registry.add(this);
    this.stream = new WatchStream(watch.hub, { header, wake: () => this.wake() }, watch.progressNotifyIntervalMs);
    // etcd fragments at the request limit plus the gRPC allowance, not at the bare request limit.
    const maxResponseBytes = server.limits.maxRequestBytes + GRPC_OVERHEAD_BYTES;
    this.split = (response) => fragmentResponse(response, maxResponseBytes);
    call.on('data', (decoded: Decoded<WatchRequest>) => this.onRequest(decoded));
    // A client that half-closes still gets events: etcd ends the stream only when the client cancels it.
    for (const event of ['cancelled', 'close', 'error', 'finish']) call.on(event, () => this.release());
  }

  private onRequest(decoded: Decoded<WatchRequest>): void {
    if (this.done) return;
    if (!decoded.ok) {
      this.release();
      this.call.emit('error', toServiceError(asStreamDecodeError(decoded.error), this.logger, 'Watch'));
      return;
    }
    const union = decoded.value.requestUnion;
    switch (union?.$case) {
      case 'createRequest':
        this.createChecked(union.value);
        break;
      case 'cancelRequest':
        this.stream.cancel(union.value.watchId);
        break;
      case 'progressRequest':
        this.stream.requestProgress();
        break;
      case undefined:
        break;
    }
    if (!this.stream.acceptsRequests && !this.paused) {
      this.paused = true;
      this.call.pause();
    }
  }

  /** etcd checks read permission on the range as the stream's caller before creating the watch. */
  private createChecked(request: WatchCreateRequest): void {
    let caller: Caller | null | Promise<Caller | null>;
    try {
      caller = this.guard.gate.callerOf(this.call);
    } catch (error) {
      this.stream.refuseCreate(goStatusText(error));
      return;
    }
    if (!(caller instanceof Promise)) return this.createAs(caller, request);
    this.awaitingAuth = true;
    this.call.pause();
    caller
      .then((resolved) => this.createAs(resolved, request), (error: unknown) => this.stream.refuseCreate(goStatusText(error)))
      .finally(() => {
        this.awaitingAuth = false;
        if (!this.paused && !this.done) this.call.resume();
      });
  }

  private createAs(caller: Caller | null, request: WatchCreateRequest): void {
    const refusal = watchRefusal(this.guard.auth, caller, request.key, request.rangeEnd);
    if (refusal === undefined) this.stream.create(toCreateWatch(request));
    else this.stream.refuseCreate(refusal);
  }

  private wake(): void {
    if (this.flushQueued || this.blocked || this.done) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    let written = 0;
    while (!this.done && !this.blocked && written < WRITES_PER_TURN_MAX) {
      const next = this.stream.take();
      if (next === undefined) break;
      written++;
      const parts = next.fragment ? this.split(next.response) : [next.response];
      for (const part of parts) if (!this.call.write(part)) this.blocked = true;
    }
    if (this.paused && this.stream.acceptsRequests && !this.done && !this.awaitingAuth) {
      this.paused = false;
      this.call.resume();
    }
    if (this.blocked && !this.done) {
      this.call.once('drain', () => {
        this.blocked = false;
        this.wake();
      });
    } else if (written === WRITES_PER_TURN_MAX) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  stop(): void {
    if (this.done) return;
    this.release();
    this.call.emit('error', toServiceError(new EtcdError('Stopped'), this.logger, 'Watch'));
  }

  private release(): void {
    this.done = true;
    this.registry.delete(this);
    this.stream.close();
  }
}

/**
 * One write fans out to every matching watcher in one synchronous burst; they
 * all share a header built once, dropped when the burst ends (the term may change later).
 */
function burstHeaderCache(server: EtcdServer): (revision: number) => ResponseHeader {
  let cached: ResponseHeader | null = null;
  let cachedRevision = -1;
  return (revision) => {
    if (cached !== null && cachedRevision === revision) return cached;
    if (cached === null) queueMicrotask(() => (cached = null));
    cached = server.header(revision);
    cachedRevision = revision;
    return cached;
  };
}

/** The Watch service with events encoded once per write, however many watchers receive them. */
export function watchServiceDefinition(maxReceiveBytes: number): ReturnType<typeof withSafeDecoding<typeof WatchService>> {
  const definition = withSafeDecoding(WatchService, maxReceiveBytes);
  return { ...definition, watch: { ...definition.watch, responseSerialize: serializeWatchResponse } };
}

export function watchServiceImplementation(server: EtcdServer, logger: Logger, guard: GuardedServer): UntypedServiceImplementation {
  const header = burstHeaderCache(server);
  return {
    watch: (call: WatchCall): void => {
      new WatchCallHandler(call, server, header, logger, guard);
    },
  };
}
