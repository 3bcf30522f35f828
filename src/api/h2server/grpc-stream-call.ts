// One streaming call (server-streaming or bidirectional) on an H2Stream, shaped as
// grpc-js's ServerWritableStream / ServerDuplexStream: an object-mode Duplex whose
// writes become messages (back-pressured by the HTTP/2 windows), whose reads are the
// client's messages (the stream's receive window is granted only as they are taken),
// and whose 'error' event or end() sends the status.
import { Duplex } from 'node:stream';
import { Metadata, status, type ServerDuplexStream, type ServerWritableStream } from '@grpc/grpc-js';
import type { H2Stream, StreamSink } from './h2-stream.js';
import type { CallHead } from './grpc-call-head.js';
import type { CallStarter } from './grpc-call-start.js';
import { streamDeadlineStatus } from './grpc-deadline-status.js';
import { addCallSurface, type CallSurface } from './grpc-call-surface.js';
import { MessageReader } from './grpc-message-reader.js';
import { SingleRequestReader } from './grpc-single-request.js';
import { serializeMessage, type GrpcMethod } from './grpc-method.js';
import { MESSAGE_PREFIX_BYTES, errorToStatus, messagePrefix, responseHeadersBlock, trailersBlock, trailersOnlyBlock, type CallStatus } from './grpc-wire.js';

type StreamMethod = Extract<GrpcMethod, { kind: 'serverStream' | 'bidi' }>;
type WriteCallback = (error?: Error | null) => void;

// The class gets grpc-js's call surface (metadata, getPeer, ...) from grpc-call-surface.ts.
export interface GrpcStreamCall extends CallSurface {}

export class GrpcStreamCall extends Duplex implements StreamSink {
  cancelled = false;
  /** A server-streaming call's request (set before its handler runs). */
  request: unknown = null;
  responseMetadata: Metadata | null = null;
  readonly path: string;
  /** Bidirectional calls read many messages, server-streaming ones exactly one. */
  private readonly reader: MessageReader | SingleRequestReader;
  private statusSent = false;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private pendingStatus: CallStatus = { code: status.OK, details: 'OK', metadata: null };
  /** Given to end(metadata): sent with an OK status's trailers. */
  private trailingMetadata: Metadata | null = null;
  /** Write callbacks held until the stream's queue drains. */
  private heldWrites: WriteCallback[] = [];
  /** Request bytes received while reads were backed up: granted when reading resumes. */
  private owedBytes = 0;
  private backedUp = false;
  /** The handler is started (a server-streaming call's once its request is in). */
  private begun = false;

  constructor(
    private readonly stream: H2Stream,
    readonly head: CallHead,
    private readonly method: StreamMethod,
    receiveLimitBytes: number,
    readonly deadlineMs: number,
    private readonly starter: CallStarter,
  ) {
    super({ objectMode: true });
    this.path = method.path;
    this.reader = method.kind === 'bidi' ? new MessageReader(receiveLimitBytes) : new SingleRequestReader(receiveLimitBytes, method.path);
    // As grpc-js: an 'error' emitted by the handler is the call's status.
    this.on('error', (error: unknown) => {
      this.pendingStatus = errorToStatus(error, null);
      this.end();
    });
    if (deadlineMs !== Infinity) {
      this.deadlineTimer = setTimeout(() => this.sendStatus(streamDeadlineStatus(method.path, this.begun)), Math.max(0, deadlineMs - Date.now()));
    }
    if (method.kind === 'bidi') this.begin();
  }

  // ---- StreamSink ------------------------------------------------------------------

  data(payload: Buffer, end: boolean): void {
    if (this.statusSent || this.cancelled) return;
    if (this.backedUp) this.owedBytes += payload.length;
    else this.stream.consumed(payload.length);
    if (this.reader instanceof MessageReader) {
      const messages = this.reader.push(payload);
      if (!Array.isArray(messages)) return this.sendStatus(messages);
      for (const message of messages) {
        if (!this.push(this.method.deserialize(message))) this.backedUp = true;
      }
      if (end) this.push(null);
      return;
    }
    const message = this.reader.push(payload, end);
    if (message === null) return;
    if (!Buffer.isBuffer(message)) return this.sendStatus(message);
    this.request = this.method.deserialize(message);
    this.push(null);
    this.begin();
  }

  aborted(): void {
    if (this.statusSent || this.cancelled) return;
    this.clearDeadline();
    this.releaseWrites();
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
    this.destroy();
  }

  drained(): void {
    this.releaseWrites();
  }

  // ---- Duplex ------------------------------------------------------------------------

  override _read(): void {
    this.backedUp = false;
    if (this.owedBytes === 0) return;
    const owed = this.owedBytes;
    this.owedBytes = 0;
    this.stream.consumed(owed);
  }

  override _write(value: unknown, _encoding: BufferEncoding, callback: WriteCallback): void {
    if (this.statusSent || this.cancelled) return callback();
    let message;
    try {
      message = serializeMessage(this.method, value);
    } catch {
      this.sendStatus({ code: status.INTERNAL, details: 'Error serializing response', metadata: null });
      return callback();
    }
    const stream = this.stream;
    if (!stream.headersSent) stream.sendHeaders(responseHeadersBlock(this.responseMetadata, this.head.responseContentType), false);
    if (stream.sendData([messagePrefix(message.bytes), ...message.parts], MESSAGE_PREFIX_BYTES + message.bytes, false, message.sent)) callback();
    else this.heldWrites.push(callback);
  }

  override _final(callback: WriteCallback): void {
    callback(null);
    const pending = this.pendingStatus;
    this.sendStatus(pending.metadata === null && this.trailingMetadata !== null ? { ...pending, metadata: this.trailingMetadata } : pending);
  }

  /** As grpc-js's: end(metadata) ends the call with that trailing metadata (it is not a message). */
  override end(...args: unknown[]): this {
    const [first] = args;
    if (first instanceof Metadata) {
      this.trailingMetadata = first;
      return super.end();
    }
    return super.end(...(args as Parameters<Duplex['end']>));
  }

  // ---- The call ----------------------------------------------------------------------

  private begin(): void {
    this.begun = true;
    this.starter.start(() => {
      if (this.statusSent || this.cancelled) return;
      try {
        // The kinds' handlers differ only in the call type they declare.
        this.method.handler(this as unknown as ServerDuplexStream<unknown, unknown> & ServerWritableStream<unknown, unknown>);
      } catch (error) {
        this.sendStatus({ code: status.UNKNOWN, details: `Server method handler threw error ${error instanceof Error ? error.message : String(error)}`, metadata: null });
      }
    }, false);
  }

  private sendStatus(callStatus: CallStatus): void {
    if (this.statusSent || this.cancelled) return;
    this.statusSent = true;
    this.clearDeadline();
    // For the call metrics: this, not the 'cancelled' that follows, is how the call ended.
    this.emit('status', callStatus.code);
    const stream = this.stream;
    if (stream.headersSent) stream.sendTrailers(trailersBlock(callStatus));
    else stream.sendHeaders(trailersOnlyBlock(callStatus, this.head.responseContentType), true);
    this.releaseWrites();
    // As grpc-js: once the status is out, the call reports itself cancelled and is destroyed.
    process.nextTick(() => {
      this.cancelled = true;
      this.emit('cancelled', 'cancelled');
      this.destroy();
    });
  }

  private releaseWrites(): void {
    if (this.heldWrites.length === 0) return;
    const held = this.heldWrites;
    this.heldWrites = [];
    for (const callback of held) callback();
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
  }
}

addCallSurface(GrpcStreamCall.prototype);
