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
import { UNSUPPORTED_MEDIA_TYPE_BLOCK, trailersOnlyBlock, type CallStatus } from './grpc-wire.js';
import { goUtf8Text } from './go-utf8.js';

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

  open(stream: H2Stream, fields: readonly HeaderField[], connection: H2Connection): StreamSink | null {
    const head = new CallHead(fields, connection.socket);
    if (!head.contentType.startsWith('application/grpc')) {
      stream.sendHeaders(UNSUPPORTED_MEDIA_TYPE_BLOCK, true);
      return null;
    }
    const limits = this.connections.get(connection);
    if (limits === undefined) return refuse(stream, head, { code: status.UNAVAILABLE, details: 'connection closing', metadata: null });
    if (limits.refusing) return refuse(stream, head, TOO_MANY_REQUESTS);
    const method = this.methods.get(head.path);
    if (method === undefined) return refuse(stream, head, { code: status.UNIMPLEMENTED, details: this.unknownMethodText(head.path), metadata: null });
    const deadlineMs = head.deadlineMs(Date.now());
    if (deadlineMs === null) {
      // gRPC-Go resets a stream whose headers it cannot decode, answering nothing.
      stream.reset(ErrorCode.protocol);
      return null;
    }
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

  /** gRPC-Go's wording for a method the server does not have; the path's bytes read as Go reads them. */
  private unknownMethodText(rawPath: string): string {
    const path = goUtf8Text(rawPath);
    const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
    if (match === null) return `malformed method name: "${path}"`;
    const [, service = '', method = ''] = match;
    return this.serviceNames.has(service) ? `unknown method ${method} for service ${service}` : `unknown service ${service}`;
  }
}

const TOO_MANY_REQUESTS: CallStatus = { code: ERROR_TABLE.TooManyRequests.code, details: ERROR_TABLE.TooManyRequests.message, metadata: null };

function refuse(stream: H2Stream, head: CallHead, callStatus: CallStatus): null {
  stream.sendHeaders(trailersOnlyBlock(callStatus, head.contentType), true);
  return null;
}
