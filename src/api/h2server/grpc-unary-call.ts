// One unary call on an H2Stream: collects the single request message, runs the
// handler grpc-js would run, with the same call surface, and answers once with the
// statuses, headers and trailers grpc-js would send.
import { EventEmitter } from 'node:events';
import { Metadata, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { H2Stream, StreamSink } from './h2-stream.js';
import type { CallHead, AuthContext } from './grpc-call-head.js';
import type { CallStarter } from './grpc-call-start.js';
import { MessageReader } from './grpc-message-reader.js';
import { serializeMessage, type GrpcMethod, type SerializedMessage } from './grpc-method.js';
import { MESSAGE_PREFIX_BYTES, OK_TRAILERS_BLOCK, errorToStatus, messagePrefix, responseHeadersBlock, trailersBlock, trailersOnlyBlock, type CallStatus } from './grpc-wire.js';

type UnaryMethod = Extract<GrpcMethod, { kind: 'unary' }>;

export class GrpcUnaryCall extends EventEmitter implements StreamSink {
  cancelled = false;
  /** The decoded request (grpc-js's ServerUnaryCall.request), set once the body is in. */
  request: unknown = null;
  private readonly reader: MessageReader;
  private message: Buffer | null = null;
  private finished = false;
  private started = false;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private responseMetadata: Metadata | null = null;

  constructor(
    private readonly stream: H2Stream,
    private readonly head: CallHead,
    private readonly method: UnaryMethod,
    receiveLimitBytes: number,
    private readonly deadlineMs: number,
    private readonly starter: CallStarter,
  ) {
    super();
    this.reader = new MessageReader(receiveLimitBytes, head.encoding);
    if (deadlineMs !== Infinity) {
      this.deadlineTimer = setTimeout(() => this.sendStatus({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded', metadata: null }), Math.max(0, deadlineMs - Date.now()));
    }
  }

  // ---- StreamSink ------------------------------------------------------------------

  data(payload: Buffer, end: boolean): void {
    if (this.finished) return;
    this.stream.consumed(payload.length);
    const messages = this.reader.push(payload);
    if (!Array.isArray(messages)) return this.sendStatus(messages);
    for (const message of messages) {
      if (this.message !== null) {
        return this.sendStatus({ code: status.UNIMPLEMENTED, details: `Received a second request message for server streaming method ${this.method.path}`, metadata: null });
      }
      this.message = message;
    }
    if (!end) return;
    if (this.message === null) {
      return this.sendStatus({ code: status.UNIMPLEMENTED, details: `Received no request message for server streaming method ${this.method.path}`, metadata: null });
    }
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
    stream.sendHeaders(responseHeadersBlock(this.responseMetadata), false);
    stream.sendData([messagePrefix(payload.bytes), ...payload.parts], MESSAGE_PREFIX_BYTES + payload.bytes, false, payload.sent);
    stream.sendTrailers(trailer === null ? OK_TRAILERS_BLOCK : trailersBlock({ code: status.OK, details: 'OK', metadata: trailer }));
  }

  /** A status with no message: grpc-js's trailers-only response. */
  private sendStatus(callStatus: CallStatus): void {
    if (this.finished) return;
    this.finish();
    this.stream.sendHeaders(trailersOnlyBlock(callStatus), true);
  }

  private finish(): void {
    this.finished = true;
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    if (this.started) this.starter.finished();
  }

  // ---- The ServerUnaryCall surface handlers may read ----------------------------

  get metadata(): Metadata {
    return this.head.metadata;
  }

  getPeer(): string {
    return this.head.peer();
  }

  sendMetadata(metadata: Metadata): void {
    this.responseMetadata ??= metadata;
  }

  getDeadline(): number {
    return this.deadlineMs;
  }

  getPath(): string {
    return this.method.path;
  }

  getHost(): string {
    return this.head.authority;
  }

  getAuthContext(): AuthContext {
    return this.head.authContext();
  }

  getMetricsRecorder(): never {
    throw new Error('per-request metric recording is not enabled on this server');
  }
}
