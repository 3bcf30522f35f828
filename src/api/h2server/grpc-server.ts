// The client port's gRPC server: HTTP/2 connections (h2-connection.ts) whose request
// streams become grpc-js-shaped calls of the registered services. It replaces
// grpc-js's server, whose per-call machinery on top of node:http2 cost more CPU than
// the write path behind it; handlers, service definitions and statuses stay grpc-js's.
import type { Socket } from 'node:net';
import { status, type ServiceDefinition, type UntypedHandleCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ERROR_TABLE } from '../../errors/error-table.js';
import { instrumentHandler, type GrpcCallCounters } from '../../metrics/grpc-call-metrics.js';
import type { HeaderField } from '../http2/hpack-decoder.js';
import { H2Connection, type StreamOpener } from './h2-connection.js';
import { ErrorCode, PREFACE_BYTES } from './h2-protocol.js';
import type { H2Stream, StreamSink } from './h2-stream.js';
import { CallHead } from './grpc-call-head.js';
import { ConnectionLimits, PendingCallCount } from './grpc-connection-limits.js';
import { partsSerializerOf, type GrpcMethod } from './grpc-method.js';
import { GrpcStreamCall } from './grpc-stream-call.js';
import { GrpcUnaryCall } from './grpc-unary-call.js';
import { trailersOnlyBlock, type CallStatus } from './grpc-wire.js';
import { goQuote, goUtf8Text } from './go-utf8.js';
import { requestHeaderProblem } from './grpc-header-rules.js';

export interface GrpcServerOptions {
  /** Largest request message taken (grpc-js's grpc.max_receive_message_length); -1: none. */
  readonly receiveLimitBytes: number;
  /** --max-concurrent-streams per connection; null: unlimited. */
  readonly maxConcurrentStreams: number | null;
  /** Counts every call for grpc_server_* metrics; null: not counted. */
  readonly counters: GrpcCallCounters | null;
}

export class GrpcServer implements StreamOpener {
  private readonly methods = new Map<string, GrpcMethod>();
  private readonly serviceNames = new Set<string>();
  private readonly connections = new Map<H2Connection, ConnectionLimits>();
  private readonly pending = new PendingCallCount();
  private closing = false;
  private allClosed: (() => void) | null = null;

  constructor(private readonly options: GrpcServerOptions) {}

  addService(service: ServiceDefinition, implementation: UntypedServiceImplementation): void {
    for (const [name, definition] of Object.entries(service)) {
      const handler = implementation[name];
      this.serviceNames.add(definition.path.split('/')[1] ?? '');
      if (handler === undefined) continue;
      if (definition.requestStream && !definition.responseStream) throw new Error(`${definition.path}: client-streaming methods are not served`);
      const served = this.options.counters === null ? handler : instrumentHandler(this.options.counters, definition, handler);
      const kind = definition.requestStream ? 'bidi' : definition.responseStream ? 'serverStream' : 'unary';
      const serialize = definition.responseSerialize as (value: never) => Buffer;
      this.methods.set(definition.path, {
        path: definition.path,
        kind,
        handler: served as UntypedHandleCall as never,
        deserialize: definition.requestDeserialize as (bytes: Buffer) => unknown,
        serialize,
        inParts: partsSerializerOf(serialize),
      } as GrpcMethod);
    }
  }

  /** Whether a method (by its gRPC path, e.g. "/etcdserverpb.KV/Range") is served. */
  serves(path: string): boolean {
    return this.methods.has(path);
  }

  /** Unary calls on every connection waiting to start or for their answer. */
  get pendingUnaryCalls(): number {
    return this.pending.value;
  }

  /** Serves a connection whose first bytes (`opening`, the client preface and maybe more) were already read. */
  acceptConnection(socket: Socket, opening: Buffer): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const connection = new H2Connection(socket, this, { maxConcurrentStreams: this.options.maxConcurrentStreams });
    this.connections.set(connection, new ConnectionLimits(connection, this.pending));
    connection.start(opening.subarray(PREFACE_BYTES));
  }

  /** Sends GOAWAY everywhere; resolves once every connection has closed (their calls ended). */
  shutdown(): Promise<void> {
    this.closing = true;
    if (this.connections.size === 0) return Promise.resolve();
    const closed = new Promise<void>((resolve) => {
      this.allClosed = resolve;
    });
    for (const connection of this.connections.keys()) connection.shutdown();
    return closed;
  }

  /** Cuts every connection now. */
  destroy(): void {
    this.closing = true;
    for (const connection of [...this.connections.keys()]) connection.destroy();
  }

  // ---- StreamOpener ----------------------------------------------------------------

  readable(fields: readonly HeaderField[]): boolean {
    return requestHeaderProblem(fields) === null;
  }

  open(stream: H2Stream, fields: readonly HeaderField[], connection: H2Connection): StreamSink | null {
    if (!this.readable(fields)) {
      // gRPC-Go resets a stream whose headers it cannot read, answering nothing.
      stream.reset(ErrorCode.protocol);
      return null;
    }
    const head = new CallHead(fields, connection.socket);
    const limits = this.connections.get(connection);
    if (limits === undefined) return refuse(stream, head, { code: status.UNAVAILABLE, details: 'connection closing', metadata: null });
    if (limits.refusing) return refuse(stream, head, TOO_MANY_REQUESTS);
    const method = this.resolve(head.path);
    if (!('handler' in method)) return refuse(stream, head, method);
    // Never null here: a grpc-timeout gRPC-Go cannot read was reset above.
    const deadlineMs = head.deadlineMs(Date.now()) ?? Infinity;
    // etcd installs no decompressor: gRPC-Go refuses any encoding but identity before reading the body.
    if (head.encoding !== 'identity' && head.encoding !== '') return refuse(stream, head, { code: status.UNIMPLEMENTED, details: `grpc: Decompressor is not installed for grpc-encoding "${head.encoding}"`, metadata: null });
    const limit = this.options.receiveLimitBytes;
    if (method.kind === 'unary') return new GrpcUnaryCall(stream, head, method, limit, deadlineMs, limits);
    return new GrpcStreamCall(stream, head, method, limit, deadlineMs, limits);
  }

  closed(connection: H2Connection): void {
    this.connections.delete(connection);
    if (this.connections.size === 0 && this.allClosed !== null) {
      this.allClosed();
      this.allClosed = null;
    }
  }

  /**
   * The method a :path names, read as gRPC-Go reads it (one leading '/' optional, the
   * service before the last '/'), or gRPC-Go's status for a path it cannot serve.
   */
  private resolve(rawPath: string): GrpcMethod | CallStatus {
    const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
    const cut = path.lastIndexOf('/');
    if (cut === -1) return { code: status.RESOURCE_EXHAUSTED, details: `malformed method name: ${goQuote(rawPath)}`, metadata: null };
    const service = path.slice(0, cut);
    const name = path.slice(cut + 1);
    const method = this.methods.get(`/${service}/${name}`);
    if (method !== undefined) return method;
    // The path's bytes read as Go reads them.
    const details = this.serviceNames.has(service) ? `unknown method ${goUtf8Text(name)} for service ${goUtf8Text(service)}` : `unknown service ${goUtf8Text(service)}`;
    return { code: status.UNIMPLEMENTED, details, metadata: null };
  }
}

const TOO_MANY_REQUESTS: CallStatus = { code: ERROR_TABLE.TooManyRequests.code, details: ERROR_TABLE.TooManyRequests.message, metadata: null };

function refuse(stream: H2Stream, head: CallHead, callStatus: CallStatus): null {
  stream.sendHeaders(trailersOnlyBlock(callStatus, head.responseContentType), true);
  return null;
}
