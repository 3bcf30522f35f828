// One HTTP/2 stream on the server side: the response bytes it still has to send
// (held back by flow control or a full socket), its send window, and the receive
// window it owes the peer. The connection moves its bytes; the gRPC call above it
// sees only StreamSink.
import { ErrorCode, FRAME_HEADER_BYTES, Flag, FrameType, frameOf, u32Payload, writeFrameHeader } from './h2-protocol.js';

/** What the call above a stream is told. */
export interface StreamSink {
  /** Request bytes (padding removed); `end`: the peer half-closed its side. */
  data(payload: Buffer, end: boolean): void;
  /** The stream ended before the response did: a reset from the peer, or the connection went. */
  aborted(): void;
  /** Response bytes waiting to be sent fell to the low mark or below. */
  drained(): void;
}

/** What a stream needs from its connection. */
export interface StreamHost {
  readonly maxFramePayloadBytes: number;
  /** Appends ready frame bytes to the connection's output. */
  output(bytes: Buffer): void;
  /** The stream has data queued: send what the windows allow. */
  schedule(stream: H2Stream): void;
  /** Both sides are done (or the stream was reset): forget it. */
  retire(stream: H2Stream): void;
  /** Takes `bytes` of the connection's send window for DATA written at once; false: queue it instead. */
  takeWindow(bytes: number): boolean;
  /** Calls `done` once the output so far has been written to the socket. */
  afterWrite(done: () => void): void;
}

/** Queued bytes at or below this count as drained (the writer may go on). */
export const STREAM_DRAINED_BYTES = 64 * 1024;
/** Small DATA payloads are copied behind their frame header: one buffer, one write. */
const DATA_COPY_BYTES_MAX = 16 * 1024;
/** Received bytes granted back in one WINDOW_UPDATE once this many are owed. */
const GRANT_BYTES_MIN = 64 * 1024;

export class H2Stream {
  sink: StreamSink | null = null;
  remoteEnded = false;
  localEnded = false;
  headersSent = false;
  closed = false;
  sendWindow: number;
  /** What the peer may still send before we grant more. */
  receiveWindow: number;
  private owedGrant = 0;
  private readonly pending: Buffer[] = [];
  /** Called once the buffer at the same index of `pending` is written out (its owner may reuse it). */
  private readonly pendingDone: Array<(() => void) | null> = [];
  private pendingOffset = 0;
  pendingBytes = 0;
  private trailers: Buffer | null = null;
  /** END_STREAM goes on the last DATA frame (no trailers follow). */
  private endWithData = false;
  private aboveDrained = false;

  constructor(
    readonly id: number,
    private readonly host: StreamHost,
    sendWindow: number,
    /** The window this stream starts with (our SETTINGS_INITIAL_WINDOW_SIZE): what it is topped back up to. */
    private readonly receiveWindowFull: number,
  ) {
    this.sendWindow = sendWindow;
    this.receiveWindow = receiveWindowFull;
  }

  /** Response headers (one header block); endStream for a trailers-only response. */
  sendHeaders(block: Buffer, endStream: boolean): void {
    if (this.closed || this.localEnded) return;
    this.headersSent = true;
    this.writeHeaderBlock(block, endStream);
    if (endStream) this.endLocal();
  }

  /**
   * Response body bytes, flow controlled; `end` puts END_STREAM on the last of them.
   * Returns false when the queue is above the drained mark: sink.drained() follows later.
   */
  sendData(parts: readonly Buffer[], bytes: number, end: boolean, written: (() => void) | null = null): boolean {
    if (this.closed || this.localEnded) return true;
    if (this.pendingBytes === 0 && bytes <= this.sendWindow && bytes <= DATA_COPY_BYTES_MAX && this.host.maxFramePayloadBytes >= bytes && this.host.takeWindow(bytes)) {
      this.writeSmallData(parts, bytes, end);
      written?.();
      return true;
    }
    let last = -1;
    for (const part of parts) {
      if (part.length === 0) continue;
      this.pending.push(part);
      this.pendingDone.push(null);
      last = this.pending.length - 1;
    }
    if (written !== null) {
      if (last === -1) written();
      else this.pendingDone[last] = written;
    }
    this.pendingBytes += bytes;
    if (end) this.endWithData = true;
    this.host.schedule(this);
    if (this.pendingBytes <= STREAM_DRAINED_BYTES) return true;
    this.aboveDrained = true;
    return false;
  }

  /** Trailers after every queued DATA frame, with END_STREAM. */
  sendTrailers(block: Buffer): void {
    if (this.closed || this.localEnded) return;
    if (this.pendingBytes === 0) {
      this.writeHeaderBlock(block, true);
      this.endLocal();
      return;
    }
    this.trailers = block;
    this.host.schedule(this);
  }

  /** Ends the stream with RST_STREAM; queued bytes are dropped. */
  reset(code: number): void {
    if (this.closed) return;
    this.dropPending();
    this.host.output(frameOf(FrameType.rstStream, 0, this.id, u32Payload(code)));
    this.close();
  }

  /** The call took `bytes` of request data: grant them back to the peer once enough are owed. */
  consumed(bytes: number): void {
    if (this.closed || this.remoteEnded) return;
    this.owedGrant += bytes;
    if (this.owedGrant < Math.min(GRANT_BYTES_MIN, this.receiveWindowFull / 2)) return;
    this.receiveWindow += this.owedGrant;
    this.host.output(frameOf(FrameType.windowUpdate, 0, this.id, u32Payload(this.owedGrant)));
    this.owedGrant = 0;
  }

  /**
   * Writes what the windows allow (the connection passes its own window and takes
   * back what is left); returns the connection window left.
   */
  pump(connectionWindow: number): number {
    let window = connectionWindow;
    const frameMax = this.host.maxFramePayloadBytes;
    // Each pass sends at least one byte or stops, so the queue's length bounds it.
    while (this.pendingBytes > 0 && this.sendWindow > 0 && window > 0) {
      const size = Math.min(this.pendingBytes, this.sendWindow, window, frameMax);
      this.writeDataFrame(size);
      this.sendWindow -= size;
      window -= size;
    }
    if (this.pendingBytes === 0 && this.trailers !== null) {
      const trailers = this.trailers;
      this.trailers = null;
      this.writeHeaderBlock(trailers, true);
      this.endLocal();
    }
    this.noteDrain();
    return window;
  }

  /** Whether the stream still has bytes to send (and so waits on a window or the socket). */
  get waiting(): boolean {
    return !this.closed && (this.pendingBytes > 0 || this.trailers !== null);
  }

  /** The peer reset the stream, or the connection is going. */
  abort(): void {
    if (this.closed) return;
    this.dropPending();
    this.close();
    this.sink?.aborted();
  }

  /** The peer half-closed. */
  remoteEnd(): void {
    this.remoteEnded = true;
    if (this.localEnded) this.close();
  }

  private writeSmallData(parts: readonly Buffer[], bytes: number, end: boolean): void {
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bytes);
    writeFrameHeader(frame, 0, bytes, FrameType.data, end ? Flag.endStream : 0, this.id);
    let at = FRAME_HEADER_BYTES;
    for (const part of parts) {
      frame.set(part, at);
      at += part.length;
    }
    this.sendWindow -= bytes;
    this.host.output(frame);
    if (end) this.endLocal();
  }

  private writeDataFrame(size: number): void {
    const last = size === this.pendingBytes;
    const end = last && this.endWithData && this.trailers === null;
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    writeFrameHeader(header, 0, size, FrameType.data, end ? Flag.endStream : 0, this.id);
    this.host.output(header);
    let left = size;
    // Each pass takes at least one byte of the queue's head.
    while (left > 0) {
      const head = this.pending[0] as Buffer;
      const available = head.length - this.pendingOffset;
      const take = Math.min(available, left);
      this.host.output(take === head.length ? head : head.subarray(this.pendingOffset, this.pendingOffset + take));
      left -= take;
      if (take === available) {
        this.pending.shift();
        const done = this.pendingDone.shift();
        if (done !== null && done !== undefined) this.host.afterWrite(done);
        this.pendingOffset = 0;
      } else this.pendingOffset += take;
    }
    this.pendingBytes -= size;
    if (end) this.endLocal();
  }

  private writeHeaderBlock(block: Buffer, endStream: boolean): void {
    const frameMax = this.host.maxFramePayloadBytes;
    const endFlag = endStream ? Flag.endStream : 0;
    if (block.length <= frameMax) {
      this.host.output(frameOf(FrameType.headers, endFlag | Flag.endHeaders, this.id, block));
      return;
    }
    // Split over HEADERS and CONTINUATION frames, which go out back to back.
    for (let at = 0; at < block.length; at += frameMax) {
      const piece = block.subarray(at, Math.min(block.length, at + frameMax));
      const lastPiece = at + frameMax >= block.length;
      const type = at === 0 ? FrameType.headers : FrameType.continuation;
      this.host.output(frameOf(type, (at === 0 ? endFlag : 0) | (lastPiece ? Flag.endHeaders : 0), this.id, piece));
    }
  }

  private endLocal(): void {
    this.localEnded = true;
    // The response is complete: the peer need not send the rest of its request (RFC 9113 8.1).
    if (!this.remoteEnded) this.host.output(frameOf(FrameType.rstStream, 0, this.id, u32Payload(ErrorCode.noError)));
    this.close();
  }

  private noteDrain(): void {
    if (this.pendingBytes > STREAM_DRAINED_BYTES) {
      this.aboveDrained = true;
      return;
    }
    if (!this.aboveDrained) return;
    this.aboveDrained = false;
    this.sink?.drained();
  }

  private dropPending(): void {
    this.pending.length = 0;
    this.pendingDone.length = 0;
    this.pendingOffset = 0;
    this.pendingBytes = 0;
    this.trailers = null;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.retire(this);
  }
}
