// The server side of one HTTP/2 connection (RFC 9113) for gRPC: reads frames in
// place from the socket, keeps the peer's settings and both directions' windows,
// opens streams for the gRPC layer and writes every frame of one turn in one
// socket write. Anything the RFC calls a connection error ends the connection
// with GOAWAY and that error's code; the server goes on serving others.
import type { Socket } from 'node:net';
import type { HeaderField } from '../http2/hpack-decoder.js';
import { Http2InputError } from '../http2/http2-input-error.js';
import {
  ErrorCode, FRAME_HEADER_BYTES, FRAME_PAYLOAD_BYTES_DEFAULT, Flag, FrameType, Http2ConnectionError, PING_PAYLOAD_BYTES, SettingId,
  WINDOW_BYTES_DEFAULT, WINDOW_BYTES_LIMIT, frameOf, u32Payload,
} from './h2-protocol.js';
import { applyPeerSettings, defaultPeerSettings, settingsFrame, type PeerSettings } from './h2-settings.js';
import { readHeadersFrame } from './h2-headers-frame.js';
import { HeaderListReader } from './h2-header-list.js';
import { H2Stream, type StreamHost, type StreamSink } from './h2-stream.js';

/** Each stream may receive this much before we grant more (our SETTINGS_INITIAL_WINDOW_SIZE). */
export const STREAM_RECEIVE_WINDOW_BYTES = 1024 * 1024;
/** The connection's receive window, raised to this right after SETTINGS. */
export const CONNECTION_RECEIVE_WINDOW_BYTES = 16 * 1024 * 1024;
/**
 * Largest header list (names and values plus 32 per field) a request may carry, and largest
 * single name or value: gRPC-Go's server default, which etcd keeps and does not advertise.
 * A larger list resets only its stream (FRAME_SIZE_ERROR) and the connection goes on, as etcd
 * does; a longer string ends the connection (etcd closes it).
 */
export const HEADER_LIST_BYTES_MAX = 16 * 1024 * 1024;
/** Above this many bytes waiting in the socket, DATA waits and the socket is not read. */
const SOCKET_BACKLOG_BYTES_MAX = 1024 * 1024;
/** Output of one turn up to this size is joined into one buffer; larger goes out as a vector. */
const JOIN_BYTES_MAX = 64 * 1024;
/** A connection that ended with GOAWAY is destroyed if the peer has not closed it by then. */
const CLOSE_AFTER_GOAWAY_MS = 1000;
const RST_STREAM_BYTES = 4;
const PRIORITY_BYTES = 5;
const WINDOW_UPDATE_BYTES = 4;
const GOAWAY_BYTES_MIN = 8;

/** The gRPC layer: told of each new request stream. */
export interface StreamOpener {
  /** Returns the stream's sink; null when the stream was already answered (and needs none). */
  open(stream: H2Stream, fields: readonly HeaderField[], connection: H2Connection): StreamSink | null;
  /** Whether a request with these headers is one the layer reads (else its stream is reset). */
  readable(fields: readonly HeaderField[]): boolean;
  /** The connection is gone (every stream was aborted first). */
  closed(connection: H2Connection): void;
}

export interface H2ConnectionOptions {
  /** SETTINGS_MAX_CONCURRENT_STREAMS; null: unlimited (not sent). */
  readonly maxConcurrentStreams: number | null;
}

/** Why reading is paused; reading resumes when no reason is left. */
export const ReadPause = { backlog: 1, calls: 2 } as const;

export class H2Connection implements StreamHost {
  readonly streams = new Map<number, H2Stream>();
  private readonly peer: PeerSettings = defaultPeerSettings();
  /** Decodes the open header block's fragments as they come. */
  private readonly headerList = new HeaderListReader(HEADER_LIST_BYTES_MAX);
  /** The header block being received (between HEADERS and END_HEADERS). */
  private openBlock: { readonly streamId: number; readonly endStream: boolean } | null = null;
  private buffered: Buffer | null = null;
  private lastStreamId = 0;
  private sendWindow = WINDOW_BYTES_DEFAULT;
  private receiveWindow = CONNECTION_RECEIVE_WINDOW_BYTES;
  private owedGrant = 0;
  private readonly waitingStreams = new Set<H2Stream>();
  private out: Buffer[] = [];
  private outWritten: Array<() => void> = [];
  private outBytes = 0;
  private flushScheduled = false;
  private pauses = 0;
  private goingAway = false;
  private ended = false;
  /** Bytes queued in streams (held by flow control or a full socket). */
  queuedBytes = 0;

  constructor(
    readonly socket: Socket,
    private readonly opener: StreamOpener,
    private readonly options: H2ConnectionOptions,
  ) {}

  get maxFramePayloadBytes(): number {
    return this.peer.maxFramePayloadBytes;
  }

  /** Starts serving; `opening` holds the bytes read after the client preface (maybe none). */
  start(opening: Buffer): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    this.output(settingsFrame([
      [SettingId.maxConcurrentStreams, this.options.maxConcurrentStreams],
      [SettingId.initialWindowSize, STREAM_RECEIVE_WINDOW_BYTES],
    ]));
    this.output(frameOf(FrameType.windowUpdate, 0, 0, u32Payload(CONNECTION_RECEIVE_WINDOW_BYTES - WINDOW_BYTES_DEFAULT)));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.onClose());
    socket.on('end', () => socket.end());
    if (opening.length > 0) this.receive(opening);
    else this.flush();
  }

  /** Stops taking new streams (GOAWAY NO_ERROR) and closes once the open ones end. */
  shutdown(): void {
    if (this.goingAway || this.ended) return;
    this.goingAway = true;
    this.output(goawayFrame(this.lastStreamId, ErrorCode.noError));
    this.flush();
    if (this.streams.size === 0) this.endSocket();
  }

  destroy(): void {
    this.abortStreams();
    this.socket.destroy();
  }

  pauseReading(reason: number): void {
    if (this.pauses === 0) this.socket.pause();
    this.pauses |= reason;
  }

  resumeReading(reason: number): void {
    if ((this.pauses & reason) === 0) return;
    this.pauses &= ~reason;
    if (this.pauses === 0 && !this.ended) this.socket.resume();
  }

  // ---- StreamHost ----------------------------------------------------------------

  output(bytes: Buffer): void {
    this.out.push(bytes);
    this.outBytes += bytes.length;
    this.scheduleFlush();
  }

  schedule(stream: H2Stream): void {
    this.waitingStreams.add(stream);
    this.scheduleFlush();
  }

  retire(stream: H2Stream): void {
    this.streams.delete(stream.id);
    this.waitingStreams.delete(stream);
    if (this.goingAway && this.streams.size === 0) this.endSocket();
  }

  afterWrite(done: () => void): void {
    this.outWritten.push(done);
  }

  takeWindow(bytes: number): boolean {
    if (bytes > this.sendWindow || this.waitingStreams.size > 0 || this.socket.writableLength > SOCKET_BACKLOG_BYTES_MAX) return false;
    this.sendWindow -= bytes;
    return true;
  }

  // ---- Output ----------------------------------------------------------------------

  /** One flush per turn, after everything the turn's callbacks output. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => this.flush());
  }

  /** Moves queued DATA as the windows allow, then writes everything of this turn at once. */
  private flush(): void {
    this.flushScheduled = false;
    const socket = this.socket;
    if (socket.destroyed) return;
    this.pumpStreams();
    const out = this.out;
    if (out.length === 0) return;
    this.out = [];
    const bytes = this.outBytes;
    this.outBytes = 0;
    const written = this.outWritten;
    const callback = written.length === 0 ? undefined : (error?: Error | null) => (error === null || error === undefined ? runAll(written) : undefined);
    if (written.length > 0) this.outWritten = [];
    if (out.length === 1) socket.write(out[0] as Buffer, callback);
    else if (bytes <= JOIN_BYTES_MAX) socket.write(Buffer.concat(out, bytes), callback);
    else {
      socket.cork();
      const last = out.length - 1;
      out.forEach((piece, i) => socket.write(piece, i === last ? callback : undefined));
      socket.uncork();
    }
    if (socket.writableLength > SOCKET_BACKLOG_BYTES_MAX) this.pauseReading(ReadPause.backlog);
  }

  private pumpStreams(): void {
    let queued = 0;
    // Bounded by the streams waiting; each either sends or stays for a later window.
    for (const stream of this.waitingStreams) {
      if (this.sendWindow > 0 && this.socket.writableLength + this.outBytes <= SOCKET_BACKLOG_BYTES_MAX) this.sendWindow = stream.pump(this.sendWindow);
      if (stream.waiting) queued += stream.pendingBytes;
      else this.waitingStreams.delete(stream);
    }
    this.queuedBytes = queued;
  }

  private onDrain(): void {
    this.resumeReading(ReadPause.backlog);
    if (this.waitingStreams.size > 0) this.flush();
  }

  /** Streams whose response waits on the peer's windows or socket. */
  get waitingStreamCount(): number {
    return this.waitingStreams.size;
  }

  // ---- Input -----------------------------------------------------------------------

  private receive(chunk: Buffer): void {
    if (this.ended) return;
    let data = chunk;
    if (this.buffered !== null) {
      data = Buffer.concat([this.buffered, chunk]);
      this.buffered = null;
    }
    let at = 0;
    try {
      // Each pass consumes one whole frame, so the chunk's length bounds it.
      while (data.length - at >= FRAME_HEADER_BYTES && !this.ended) {
        const length = (data[at] as number) * 65536 + (data[at + 1] as number) * 256 + (data[at + 2] as number);
        if (length > FRAME_PAYLOAD_BYTES_DEFAULT) throw new Http2ConnectionError(ErrorCode.frameSize, `frame of ${length} bytes`);
        const end = at + FRAME_HEADER_BYTES + length;
        if (end > data.length) break;
        const type = data[at + 3] as number;
        const flags = data[at + 4] as number;
        const streamId = data.readUInt32BE(at + 5) & 0x7fffffff;
        this.onFrame(type, flags, streamId, data.subarray(at + FRAME_HEADER_BYTES, end));
        at = end;
      }
    } catch (error) {
      this.failConnection(error);
      return;
    }
    // Copied: the frames handed on may keep views of `data`, never of what is kept.
    if (at < data.length && !this.ended) this.buffered = Buffer.from(data.subarray(at));
    if (this.owedGrant > 0 && this.owedGrant >= CONNECTION_RECEIVE_WINDOW_BYTES / 4) this.grantConnection();
    this.flush();
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.openBlock !== null && type !== FrameType.continuation) throw new Http2ConnectionError(ErrorCode.protocol, 'frame inside a header block');
    switch (type) {
      case FrameType.data: return this.onData(flags, streamId, payload);
      case FrameType.headers:
      case FrameType.continuation: return this.onHeaderFrame(type, flags, streamId, payload);
      case FrameType.priority:
        if (streamId === 0) throw new Http2ConnectionError(ErrorCode.protocol, 'PRIORITY on stream 0');
        if (payload.length !== PRIORITY_BYTES) this.streamError(streamId, ErrorCode.frameSize);
        return;
      case FrameType.rstStream: return this.onReset(streamId, payload);
      case FrameType.settings: return this.onSettings(flags, streamId, payload);
      case FrameType.pushPromise: throw new Http2ConnectionError(ErrorCode.protocol, 'PUSH_PROMISE from a client');
      case FrameType.ping: return this.onPing(flags, streamId, payload);
      case FrameType.goaway: return this.onGoaway(streamId, payload);
      case FrameType.windowUpdate: return this.onWindowUpdate(streamId, payload);
      default: return; // Unknown frame types are ignored (RFC 9113 4.1).
    }
  }

  private onData(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new Http2ConnectionError(ErrorCode.protocol, 'DATA on stream 0');
    const counted = payload.length;
    if (counted > this.receiveWindow) throw new Http2ConnectionError(ErrorCode.flowControl, 'DATA beyond the connection window');
    this.receiveWindow -= counted;
    // Every DATA byte is granted back to the connection once handed on (streams hold their own windows).
    this.owedGrant += counted;
    let body = payload;
    if ((flags & Flag.padded) !== 0) {
      const padBytes = payload[0];
      if (padBytes === undefined || padBytes >= payload.length) throw new Http2ConnectionError(ErrorCode.protocol, 'bad DATA padding');
      body = payload.subarray(1, payload.length - padBytes);
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      if (streamId > this.lastStreamId) throw new Http2ConnectionError(ErrorCode.protocol, 'DATA on an idle stream');
      return; // A stream we already closed: its late frames are dropped.
    }
    if (stream.remoteEnded) return this.streamError(streamId, ErrorCode.streamClosed);
    if (counted > stream.receiveWindow) return this.streamError(streamId, ErrorCode.flowControl);
    stream.receiveWindow -= counted;
    const end = (flags & Flag.endStream) !== 0;
    if (end) stream.remoteEnd();
    stream.sink?.data(body, end);
  }

  private onHeaderFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (type === FrameType.continuation) {
      if (this.openBlock === null || streamId !== this.openBlock.streamId) throw new Http2ConnectionError(ErrorCode.protocol, 'CONTINUATION out of place');
      asCompressionError(() => this.headerList.push(payload));
    } else {
      let opened;
      try {
        opened = readHeadersFrame(flags, streamId, payload);
      } catch (error) {
        throw new Http2ConnectionError(ErrorCode.protocol, error instanceof Error ? error.message : String(error));
      }
      this.openBlock = { streamId: opened.streamId, endStream: opened.endStream };
      asCompressionError(() => this.headerList.push(opened.fragment));
    }
    if ((flags & Flag.endHeaders) === 0) return;
    const block = this.openBlock;
    this.openBlock = null;
    const list = asCompressionError(() => this.headerList.finish());
    if (block.streamId % 2 === 0) throw new Http2ConnectionError(ErrorCode.protocol, 'HEADERS on an even stream id');
    if (list.kind !== 'fields') {
      // gRPC-Go's answer to a truncated or malformed header list: reset that stream alone.
      if (block.streamId > this.lastStreamId && !this.streams.has(block.streamId)) this.lastStreamId = block.streamId;
      return this.streamError(block.streamId, list.kind === 'tooLarge' ? ErrorCode.frameSize : ErrorCode.protocol);
    }
    const fields = list.fields;
    if (block.streamId <= this.lastStreamId) return this.onReusedStreamId(block.streamId, fields);
    this.lastStreamId = block.streamId;
    if (this.goingAway) return this.streamError(block.streamId, ErrorCode.refusedStream);
    const limit = this.options.maxConcurrentStreams;
    if (limit !== null && this.streams.size >= limit) return this.streamError(block.streamId, ErrorCode.refusedStream);
    const stream = new H2Stream(block.streamId, this, this.peer.initialWindowBytes, STREAM_RECEIVE_WINDOW_BYTES);
    this.streams.set(stream.id, stream);
    if (block.endStream) stream.remoteEnded = true;
    const sink = this.opener.open(stream, fields, this);
    if (sink === null || stream.closed) return;
    stream.sink = sink;
    if (block.endStream) sink.data(EMPTY, true);
  }

  /**
   * A header block on a stream id already opened (a client's trailers, or a lower id):
   * gRPC-Go (under etcd) reads every block as a new request's headers, so one the gRPC
   * layer cannot read resets that stream (PROTOCOL_ERROR), and one it can read reuses a
   * stream id, which ends the connection.
   */
  private onReusedStreamId(streamId: number, fields: readonly HeaderField[]): void {
    if (!this.opener.readable(fields)) return this.streamError(streamId, ErrorCode.protocol);
    throw new Http2ConnectionError(ErrorCode.protocol, 'HEADERS on a stream id already used');
  }

  private onReset(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new Http2ConnectionError(ErrorCode.protocol, 'RST_STREAM on stream 0');
    if (payload.length !== RST_STREAM_BYTES) throw new Http2ConnectionError(ErrorCode.frameSize, 'RST_STREAM of the wrong length');
    if (streamId > this.lastStreamId) throw new Http2ConnectionError(ErrorCode.protocol, 'RST_STREAM on an idle stream');
    this.streams.get(streamId)?.abort();
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new Http2ConnectionError(ErrorCode.protocol, 'SETTINGS on a stream');
    if ((flags & Flag.ack) !== 0) {
      if (payload.length !== 0) throw new Http2ConnectionError(ErrorCode.frameSize, 'SETTINGS ACK with a payload');
      return;
    }
    const windowDelta = applyPeerSettings(this.peer, payload);
    if (windowDelta !== 0) {
      for (const stream of this.streams.values()) {
        stream.sendWindow += windowDelta;
        if (stream.sendWindow > WINDOW_BYTES_LIMIT) throw new Http2ConnectionError(ErrorCode.flowControl, 'a stream window above 2^31-1');
        if (stream.waiting) this.waitingStreams.add(stream);
      }
    }
    this.output(frameOf(FrameType.settings, Flag.ack, 0, EMPTY));
  }

  private onPing(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new Http2ConnectionError(ErrorCode.protocol, 'PING on a stream');
    if (payload.length !== PING_PAYLOAD_BYTES) throw new Http2ConnectionError(ErrorCode.frameSize, 'PING of the wrong length');
    if ((flags & Flag.ack) === 0) this.output(frameOf(FrameType.ping, Flag.ack, 0, payload));
  }

  private onGoaway(streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new Http2ConnectionError(ErrorCode.protocol, 'GOAWAY on a stream');
    if (payload.length < GOAWAY_BYTES_MIN) throw new Http2ConnectionError(ErrorCode.frameSize, 'short GOAWAY');
    // The peer opens no more streams; the open ones finish, then the connection closes.
    this.goingAway = true;
    if (this.streams.size === 0) this.endSocket();
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== WINDOW_UPDATE_BYTES) throw new Http2ConnectionError(ErrorCode.frameSize, 'WINDOW_UPDATE of the wrong length');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new Http2ConnectionError(ErrorCode.protocol, 'WINDOW_UPDATE of 0');
      this.sendWindow += increment;
      if (this.sendWindow > WINDOW_BYTES_LIMIT) throw new Http2ConnectionError(ErrorCode.flowControl, 'connection window above 2^31-1');
      return;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      if (streamId > this.lastStreamId) throw new Http2ConnectionError(ErrorCode.protocol, 'WINDOW_UPDATE on an idle stream');
      return;
    }
    if (increment === 0) return this.streamError(streamId, ErrorCode.protocol);
    stream.sendWindow += increment;
    if (stream.sendWindow > WINDOW_BYTES_LIMIT) return this.streamError(streamId, ErrorCode.flowControl);
    if (stream.waiting) this.waitingStreams.add(stream);
  }

  // ---- Errors and the end ----------------------------------------------------------

  private streamError(streamId: number, code: number): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      this.output(frameOf(FrameType.rstStream, 0, streamId, u32Payload(code)));
      return;
    }
    stream.reset(code);
    stream.sink?.aborted();
  }

  private grantConnection(): void {
    this.receiveWindow += this.owedGrant;
    this.output(frameOf(FrameType.windowUpdate, 0, 0, u32Payload(this.owedGrant)));
    this.owedGrant = 0;
  }

  private failConnection(error: unknown): void {
    const code = error instanceof Http2ConnectionError ? error.code : ErrorCode.internal;
    this.output(goawayFrame(this.lastStreamId, code));
    this.flush();
    this.abortStreams();
    this.endSocket();
  }

  private endSocket(): void {
    if (this.ended) return;
    this.ended = true;
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_AFTER_GOAWAY_MS).unref();
  }

  private abortStreams(): void {
    // abort() retires each stream, so iterate over a copy.
    for (const stream of [...this.streams.values()]) stream.abort();
    this.waitingStreams.clear();
  }

  private onClose(): void {
    this.ended = true;
    this.abortStreams();
    this.out = [];
    this.outBytes = 0;
    this.opener.closed(this);
  }
}

const EMPTY = Buffer.alloc(0);

/** Header block decoding: bad input there is a connection error of type COMPRESSION_ERROR. */
function asCompressionError<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw new Http2ConnectionError(ErrorCode.compression, error instanceof Http2InputError ? error.message : String(error));
  }
}

function runAll(callbacks: ReadonlyArray<() => void>): void {
  for (const callback of callbacks) callback();
}

function goawayFrame(lastStreamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(GOAWAY_BYTES_MIN);
  payload.writeUInt32BE(lastStreamId & 0x7fffffff, 0);
  payload.writeUInt32BE(code, 4);
  return frameOf(FrameType.goaway, 0, 0, payload);
}
