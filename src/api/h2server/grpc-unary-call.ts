// One unary call on an H2Stream: collects the single request message, runs the
// handler grpc-js would run, with the same call surface, and answers once with the
// statuses, headers and trailers grpc-js would send.
import { EventEmitter } from 'node:events';
import { Metadata, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { H2Stream, StreamSink } from './h2-stream.js';
import type { CallHead } from './grpc-call-head.js';
import type { CallStarter } from './grpc-call-start.js';
import { unaryDeadlineStatus } from './grpc-deadline-status.js';
import { addCallSurface, type CallSurface } from './grpc-call-surface.js';
import { SingleRequestReader } from './grpc-single-request.js';
import { serializeMessage, type GrpcMethod, type SerializedMessage } from './grpc-method.js';
import { MESSAGE_PREFIX_BYTES, errorToStatus, messagePrefix, responseHeadersBlock, trailersBlock, trailersOnlyBlock, type CallStatus } from './grpc-wire.js';

type UnaryMethod = Extract<GrpcMethod, { kind: 'unary' }>;

// The class gets grpc-js's call surface (metadata, getPeer, ...) from grpc-call-surface.ts.
export interface GrpcUnaryCall extends CallSurface {}

export class GrpcUnaryCall extends EventEmitter implements StreamSink {
  cancelled = false;
  /** The decoded request (grpc-js's ServerUnaryCall.request), set once the body is in. */
  request: unknown = null;
  responseMetadata: Metadata | null = null;
  readonly path: string;
  private readonly reader: SingleRequestReader;
  private message: Buffer | null = null;
  private finished = false;
  private started = false;
  private deadlineTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stream: H2Stream,
    readonly head: CallHead,
    private readonly method: UnaryMethod,
    receiveLimitBytes: number,
    readonly deadlineMs: number,
    private readonly starter: CallStarter,
  ) {
    super();
    this.path = method.path;
    this.reader = new SingleRequestReader(receiveLimitBytes, method.path);
    if (deadlineMs !== Infinity) {
      this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(0, deadlineMs - Date.now()));
    }
  }

  // ---- StreamSink ------------------------------------------------------------------

  data(payload: Buffer, end: boolean): void {
    if (this.finished) return;
    this.stream.consumed(payload.length);
    const message = this.reader.push(payload, end);
    if (message === null) return;
    if (!Buffer.isBuffer(message)) return this.sendStatus(message);
    this.message = message;
    this.started = true;
    this.starter.start(() => this.run(), true);
  }

  aborted(): void {
    if (this.finished) return;
    this.finish();
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }

  drained(): void {}

  // ---- The call ----------------------------------------------------------------------

  private run(): void {
    if (this.finished) return;
    try {
      this.request = this.method.deserialize(this.message as Buffer);
    } catch {
      return this.sendStatus({ code: status.INTERNAL, details: 'Error deserializing request', metadata: null });
    }
    this.message = null;
    const callback: sendUnaryData<unknown> = (error, value, trailer) => this.respond(error, value, trailer ?? null);
    try {
      this.method.handler(this as unknown as ServerUnaryCall<unknown, unknown>, callback);
    } catch (error) {
      this.sendStatus({ code: status.UNKNOWN, details: `Server method handler threw error ${error instanceof Error ? error.message : String(error)}`, metadata: null });
    }
  }

  private onDeadline(): void {
    this.deadlineTimer = null;
    // gRPC-Go only ends the handler's context: one that never looks at it still answers.
    const callStatus = unaryDeadlineStatus(this.method.path, this.started);
    if (callStatus === null) return;
    this.sendStatus(callStatus);
    // As gRPC-Go cancels the handler's context (and grpc-js emits it): a handler still
    // waiting (Lock, Campaign) stops; whatever it answers then is not sent.
    this.cancelled = true;
    this.emit('cancelled', 'deadline');
  }

  private respond(error: unknown, value: unknown, trailer: Metadata | null): void {
    if (error !== null && error !== undefined) return this.sendStatus(errorToStatus(error, trailer));
    if (this.finished) return;
    let payload: SerializedMessage;
    try {
      payload = serializeMessage(this.method, value);
    } catch {
      return this.sendStatus({ code: status.INTERNAL, details: 'Error serializing response', metadata: null });
    }
    this.finish();
    const stream = this.stream;
    stream.sendHeaders(responseHeadersBlock(this.responseMetadata, this.head.responseContentType), false);
    stream.sendData([messagePrefix(payload.bytes), ...payload.parts], MESSAGE_PREFIX_BYTES + payload.bytes, false, payload.sent);
    stream.sendTrailers(trailersBlock({ code: status.OK, details: 'OK', metadata: trailer }));
  }

  /** A status with no message: grpc-js's trailers-only response. */
  private sendStatus(callStatus: CallStatus): void {
    if (this.finished) return;
    this.finish();
    this.stream.sendHeaders(trailersOnlyBlock(callStatus, this.head.responseContentType), true);
  }

  private finish(): void {
    this.finished = true;
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    if (this.started) this.starter.finished();
  }
}

addCallSurface(GrpcUnaryCall.prototype);
