// A small raw HTTP/2 client for conformance tests: it writes frames exactly as told (bad ones
// too), keeps what the server sends per stream, tracks both directions' flow-control windows,
// and waits, always bounded, for a stream's end, a GOAWAY or the socket's close.
import { connect, type Socket } from 'node:net';
import { FrameReader, frameHeader, type Frame } from '../../src/api/http2/frame-reader.js';
import { HpackDecoder, type HeaderField } from '../../src/api/http2/hpack-decoder.js';
import { encodeHeaderBlock, encodeInteger } from '../../src/api/http2/hpack-encoder.js';
import { HUFFMAN_CODES, HUFFMAN_CODE_BITS } from '../../src/api/http2/hpack-huffman-table.js';
import { STATIC_TABLE } from '../../src/api/http2/hpack-static-table.js';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const H2Type = {
  data: 0x0, headers: 0x1, priority: 0x2, rstStream: 0x3, settings: 0x4,
  pushPromise: 0x5, ping: 0x6, goaway: 0x7, windowUpdate: 0x8, continuation: 0x9,
} as const;

export const H2Flag = { ack: 0x1, endStream: 0x1, endHeaders: 0x4, padded: 0x8, priority: 0x20 } as const;

export const H2Setting = {
  headerTableSize: 0x1, enablePush: 0x2, maxConcurrentStreams: 0x3,
  initialWindowSize: 0x4, maxFrameSize: 0x5, maxHeaderListSize: 0x6,
} as const;

export const H2Error = {
  noError: 0x0, protocol: 0x1, internal: 0x2, flowControl: 0x3, settingsTimeout: 0x4, streamClosed: 0x5,
  frameSize: 0x6, refusedStream: 0x7, cancel: 0x8, compression: 0x9,
} as const;

/** RFC 9113 6.9.2 / 6.5.2 defaults. */
export const WINDOW_BYTES_DEFAULT = 65_535;
export const FRAME_BYTES_DEFAULT = 16_384;
export const WINDOW_BYTES_MAX = 2 ** 31 - 1;
/** Any frame the server sends is read, however large (2^24-1 is the wire maximum). */
const RECEIVE_FRAME_BYTES_MAX = 2 ** 24 - 1;
const CONNECT_TIMEOUT_MS = 5_000;
/** Frames kept for inspection; older ones are dropped (the per-stream records stay). */
const FRAMES_KEPT_MAX = 20_000;
const GRPC_PREFIX_BYTES = 5;

export interface RawH2Options {
  /** Our SETTINGS_INITIAL_WINDOW_SIZE; absent: not sent (65,535). */
  readonly initialWindowSize?: number;
  /** Our SETTINGS_MAX_FRAME_SIZE; absent: not sent (16,384). */
  readonly maxFrameSize?: number;
  /** Our SETTINGS_HEADER_TABLE_SIZE (the response decoder's table limit); absent: not sent (4,096). */
  readonly headerTableSize?: number;
  /** Bytes added to the connection receive window right after the preface (0: none). */
  readonly connectionWindowIncrement?: number;
  /** Answer each DATA frame with WINDOW_UPDATEs of its size (default true). */
  readonly autoWindowUpdate?: boolean;
}

export interface GoAway {
  readonly lastStreamId: number;
  readonly errorCode: number;
  readonly debug: string;
}

export interface StreamRecord {
  readonly id: number;
  /** Each decoded header block in order: response headers, then trailers. */
  readonly headerBlocks: HeaderField[][];
  /** DATA content, padding removed. */
  readonly data: Buffer[];
  /** Flow-controlled length (whole payload) of each DATA frame. */
  readonly dataFrameBytes: number[];
  dataBytes: number;
  endStream: boolean;
  rstCode: number | null;
  /** What we may still send on it (the server's window for this stream). */
  sendWindow: number;
}

interface Waiter {
  readonly check: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly what: string;
}

export function frameBytes(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([frameHeader(payload.length, type, flags, streamId), payload]);
}

export function settingsPayload(entries: ReadonlyArray<readonly [number, number]>): Buffer {
  const payload = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, value], index) => {
    payload.writeUInt16BE(id, index * 6);
    payload.writeUInt32BE(value, index * 6 + 2);
  });
  return payload;
}

export function field(name: string, value: string): HeaderField {
  return { name, value, neverIndexed: false };
}

export class RawH2Connection {
  readonly streams = new Map<number, StreamRecord>();
  readonly frames: Frame[] = [];
  readonly serverSettings = new Map<number, number>();
  readonly pingAcks: Buffer[] = [];
  readonly errors: string[] = [];
  serverSettingsFrames = 0;
  settingsAcks = 0;
  goaway: GoAway | null = null;
  closed = false;
  /** What we may still send on the connection. */
  connectionSendWindow = WINDOW_BYTES_DEFAULT;
  private readonly reader = new FrameReader(RECEIVE_FRAME_BYTES_MAX);
  private readonly decoder: HpackDecoder;
  private readonly waiters = new Set<Waiter>();
  private pendingBlock: { streamId: number; endStream: boolean; parts: Buffer[] } | null = null;
  private nextId = 1;
  private readonly closedPromise: Promise<void>;

  private constructor(private readonly socket: Socket, readonly options: RawH2Options) {
    this.decoder = new HpackDecoder(options.headerTableSize ?? 4096);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => {
      this.closed = true;
      this.settle();
      resolve();
    }));
    socket.on('error', (error) => this.errors.push(`socket: ${error.message}`));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Connects, sends the preface and our SETTINGS (and connection WINDOW_UPDATE if asked). */
  static async open(port: number, options: RawH2Options = {}): Promise<RawH2Connection> {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connect timed out')), CONNECT_TIMEOUT_MS);
      socket.once('connect', () => { clearTimeout(timer); resolve(); });
      socket.once('error', (error) => { clearTimeout(timer); reject(error); });
    });
    const connection = new RawH2Connection(socket, options);
    const settings: Array<[number, number]> = [];
    if (options.headerTableSize !== undefined) settings.push([H2Setting.headerTableSize, options.headerTableSize]);
    if (options.initialWindowSize !== undefined) settings.push([H2Setting.initialWindowSize, options.initialWindowSize]);
    if (options.maxFrameSize !== undefined) settings.push([H2Setting.maxFrameSize, options.maxFrameSize]);
    const opening = [PREFACE, frameBytes(H2Type.settings, 0, 0, settingsPayload(settings))];
    if ((options.connectionWindowIncrement ?? 0) > 0) opening.push(windowUpdateFrame(0, options.connectionWindowIncrement ?? 0));
    connection.send(Buffer.concat(opening));
    return connection;
  }

  get port(): number {
    return this.socket.remotePort ?? 0;
  }

  /** A fresh client stream id (odd, increasing). */
  nextStreamId(): number {
    const id = this.nextId;
    this.nextId += 2;
    return id;
  }

  /** The id of the last stream we opened (0: none yet). */
  get lastStreamId(): number {
    return Math.max(0, this.nextId - 2);
  }

  stream(id: number): StreamRecord {
    let record = this.streams.get(id);
    if (record === undefined) {
      const initial = this.serverSettings.get(H2Setting.initialWindowSize) ?? WINDOW_BYTES_DEFAULT;
      record = { id, headerBlocks: [], data: [], dataFrameBytes: [], dataBytes: 0, endStream: false, rstCode: null, sendWindow: initial };
      this.streams.set(id, record);
    }
    return record;
  }

  get serverMaxFrameSize(): number {
    return this.serverSettings.get(H2Setting.maxFrameSize) ?? FRAME_BYTES_DEFAULT;
  }

  send(bytes: Buffer): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(bytes);
  }

  sendFrame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): void {
    this.send(frameBytes(type, flags, streamId, payload));
  }

  /** HEADERS (optionally padded, with a priority, or split into HEADERS + CONTINUATIONs of splitBytes). */
  sendHeaders(streamId: number, block: Buffer, options: { endStream?: boolean; padBytes?: number; priority?: boolean; splitBytes?: number } = {}): void {
    this.stream(streamId);
    const split = Math.max(1, options.splitBytes ?? block.length);
    const first = block.subarray(0, split);
    const rest: Buffer[] = [];
    for (let at = first.length; at < block.length; at += split) rest.push(block.subarray(at, at + split));
    let flags = (options.endStream ? H2Flag.endStream : 0) | (rest.length === 0 ? H2Flag.endHeaders : 0);
    const parts: Buffer[] = [];
    if (options.padBytes !== undefined) {
      flags |= H2Flag.padded;
      parts.push(Buffer.of(options.padBytes));
    }
    if (options.priority === true) {
      flags |= H2Flag.priority;
      parts.push(priorityPayload(0, 15, false));
    }
    parts.push(first, Buffer.alloc(options.padBytes ?? 0));
    const frames = [frameBytes(H2Type.headers, flags, streamId, Buffer.concat(parts))];
    rest.forEach((fragment, index) => frames.push(frameBytes(H2Type.continuation, index === rest.length - 1 ? H2Flag.endHeaders : 0, streamId, fragment)));
    this.send(Buffer.concat(frames));
  }

  /** One DATA frame; counts against our send windows (the caller keeps within them, or means not to). */
  sendData(streamId: number, data: Buffer, options: { endStream?: boolean; padBytes?: number } = {}): void {
    let flags = options.endStream ? H2Flag.endStream : 0;
    let payload = data;
    if (options.padBytes !== undefined) {
      flags |= H2Flag.padded;
      payload = Buffer.concat([Buffer.of(options.padBytes), data, Buffer.alloc(options.padBytes)]);
    }
    this.stream(streamId).sendWindow -= payload.length;
    this.connectionSendWindow -= payload.length;
    this.sendFrame(H2Type.data, flags, streamId, payload);
  }

  /** Sends data in frames of at most frameBytesMax, waiting (bounded) for window whenever it runs out. */
  async sendDataWithinWindows(streamId: number, data: Buffer, frameBytesMax: number, timeoutMs: number, endStream = true): Promise<void> {
    const record = this.stream(streamId);
    const deadline = Date.now() + timeoutMs;
    let at = 0;
    // Each turn sends at least one byte or waits for window; bounded by the deadline.
    while (at < data.length) {
      const room = (): number => Math.min(this.connectionSendWindow, record.sendWindow);
      if (room() <= 0) await this.waitUntil(`send window on stream ${streamId}`, () => room() > 0 || record.endStream || record.rstCode !== null, Math.max(1, deadline - Date.now()));
      if (record.endStream || record.rstCode !== null) throw new Error(`stream ${streamId} ended while sending`);
      const bytes = Math.min(data.length - at, room(), frameBytesMax, this.serverMaxFrameSize);
      const last = at + bytes === data.length;
      this.sendData(streamId, data.subarray(at, at + bytes), { endStream: last && endStream });
      at += bytes;
    }
  }

  sendWindowUpdate(streamId: number, increment: number): void {
    this.send(windowUpdateFrame(streamId, increment));
  }

  sendRstStream(streamId: number, errorCode: number): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(errorCode);
    this.sendFrame(H2Type.rstStream, 0, streamId, payload);
  }

  sendPing(opaque: Buffer, ack = false): void {
    this.sendFrame(H2Type.ping, ack ? H2Flag.ack : 0, 0, opaque);
  }

  sendGoaway(lastStreamId: number, errorCode: number, debug = ''): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(lastStreamId & 0x7fffffff);
    payload.writeUInt32BE(errorCode, 4);
    this.sendFrame(H2Type.goaway, 0, 0, Buffer.concat([payload, Buffer.from(debug)]));
  }

  sendPriority(streamId: number, dependsOn: number, weight: number, exclusive = false): void {
    this.sendFrame(H2Type.priority, 0, streamId, priorityPayload(dependsOn, weight, exclusive));
  }

  sendContinuation(streamId: number, fragment: Buffer, endHeaders: boolean): void {
    this.sendFrame(H2Type.continuation, endHeaders ? H2Flag.endHeaders : 0, streamId, fragment);
  }

  sendSettings(entries: ReadonlyArray<readonly [number, number]>): void {
    this.sendFrame(H2Type.settings, 0, 0, settingsPayload(entries));
  }

  /** Half-closes our side (FIN); the server is expected to close its side in turn. */
  endSocket(): void {
    this.socket.end();
  }

  /** Stops reading the socket (the kernel buffers fill, then the server's writes block). */
  pauseReading(): void {
    this.socket.pause();
  }

  /** Resolves when check() holds; rejects after timeoutMs, or if the connection closes first. */
  waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
    if (check()) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`connection closed while waiting for ${what}${this.describe()}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check, resolve, reject, what,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${this.describe()}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** The stream's end (END_STREAM or RST_STREAM from the server). */
  async waitStreamEnd(streamId: number, timeoutMs: number): Promise<StreamRecord> {
    const record = this.stream(streamId);
    await this.waitUntil(`the end of stream ${streamId}`, () => record.endStream || record.rstCode !== null, timeoutMs);
    return record;
  }

  /** The server's GOAWAY, or null if it closed the socket without one. */
  async waitGoawayOrClose(timeoutMs: number): Promise<GoAway | null> {
    try {
      await this.waitUntil('GOAWAY', () => this.goaway !== null, timeoutMs);
    } catch (error) {
      if (!this.closed) throw error;
    }
    return this.goaway;
  }

  /** The socket's close (bounded); false if it stayed open. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    const closed = await Promise.race([this.closedPromise.then(() => true), timeout]);
    clearTimeout(timer);
    return closed;
  }

  /** Closes the socket at once; safe to call twice. */
  async close(): Promise<void> {
    this.socket.destroy();
    await this.closedPromise;
    for (const waiter of this.waiters) clearTimeout(waiter.timer);
    this.waiters.clear();
  }

  private describe(): string {
    const last = this.frames.slice(-5).map((frame) => `type ${frame.type} flags ${frame.flags} stream ${frame.streamId} len ${frame.payload.length}`);
    return ` (goaway ${JSON.stringify(this.goaway)}, closed ${this.closed}, errors ${JSON.stringify(this.errors)}, last frames: ${last.join('; ')})`;
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      this.errors.push(`frame: ${(error as Error).message}`);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (this.frames.length >= FRAMES_KEPT_MAX) this.frames.shift();
      this.frames.push(frame);
      try {
        this.onFrame(frame);
      } catch (error) {
        this.errors.push(`stream ${frame.streamId} type ${frame.type}: ${(error as Error).message}`);
      }
    }
    this.settle();
  }

  private onFrame(frame: Frame): void {
    switch (frame.type) {
      case H2Type.data: return this.onDataFrame(frame);
      case H2Type.headers: return this.onHeadersFrame(frame);
      case H2Type.continuation: return this.onContinuation(frame);
      case H2Type.rstStream: this.stream(frame.streamId).rstCode = frame.payload.readUInt32BE(0); return;
      case H2Type.settings: return this.onSettings(frame);
      case H2Type.ping:
        if ((frame.flags & H2Flag.ack) !== 0) this.pingAcks.push(Buffer.from(frame.payload));
        else this.sendPing(frame.payload, true);
        return;
      case H2Type.goaway:
        this.goaway = { lastStreamId: frame.payload.readUInt32BE(0) & 0x7fffffff, errorCode: frame.payload.readUInt32BE(4), debug: frame.payload.subarray(8).toString('latin1') };
        return;
      case H2Type.windowUpdate: return this.onWindowUpdate(frame);
      default: return;
    }
  }

  private onDataFrame(frame: Frame): void {
    const record = this.stream(frame.streamId);
    const padded = (frame.flags & H2Flag.padded) !== 0;
    const padBytes = padded ? frame.payload[0] ?? 0 : 0;
    const content = frame.payload.subarray(padded ? 1 : 0, frame.payload.length - padBytes);
    record.data.push(Buffer.from(content));
    record.dataBytes += content.length;
    record.dataFrameBytes.push(frame.payload.length);
    if ((frame.flags & H2Flag.endStream) !== 0) record.endStream = true;
    if (this.options.autoWindowUpdate !== false && frame.payload.length > 0) {
      const updates = [windowUpdateFrame(0, frame.payload.length)];
      if (!record.endStream) updates.push(windowUpdateFrame(frame.streamId, frame.payload.length));
      this.send(Buffer.concat(updates));
    }
  }

  private onHeadersFrame(frame: Frame): void {
    const padded = (frame.flags & H2Flag.padded) !== 0;
    const padBytes = padded ? frame.payload[0] ?? 0 : 0;
    const start = (padded ? 1 : 0) + ((frame.flags & H2Flag.priority) !== 0 ? 5 : 0);
    const fragment = frame.payload.subarray(start, frame.payload.length - padBytes);
    this.pendingBlock = { streamId: frame.streamId, endStream: (frame.flags & H2Flag.endStream) !== 0, parts: [Buffer.from(fragment)] };
    if ((frame.flags & H2Flag.endHeaders) !== 0) this.finishBlock();
  }

  private onContinuation(frame: Frame): void {
    if (this.pendingBlock === null || this.pendingBlock.streamId !== frame.streamId) throw new Error('CONTINUATION without HEADERS');
    this.pendingBlock.parts.push(Buffer.from(frame.payload));
    if ((frame.flags & H2Flag.endHeaders) !== 0) this.finishBlock();
  }

  private finishBlock(): void {
    const block = this.pendingBlock;
    this.pendingBlock = null;
    if (block === null) return;
    const record = this.stream(block.streamId);
    record.headerBlocks.push(this.decoder.decode(Buffer.concat(block.parts)));
    if (block.endStream) record.endStream = true;
  }

  private onSettings(frame: Frame): void {
    if ((frame.flags & H2Flag.ack) !== 0) {
      this.settingsAcks += 1;
      return;
    }
    this.serverSettingsFrames += 1;
    for (let at = 0; at + 6 <= frame.payload.length; at += 6) {
      const id = frame.payload.readUInt16BE(at);
      const value = frame.payload.readUInt32BE(at + 2);
      if (id === H2Setting.initialWindowSize) {
        // RFC 9113 6.9.2: the change applies to every open stream's window.
        const delta = value - (this.serverSettings.get(id) ?? WINDOW_BYTES_DEFAULT);
        for (const record of this.streams.values()) record.sendWindow += delta;
      }
      this.serverSettings.set(id, value);
    }
    this.sendFrame(H2Type.settings, H2Flag.ack, 0);
  }

  private onWindowUpdate(frame: Frame): void {
    const increment = frame.payload.readUInt32BE(0) & 0x7fffffff;
    if (frame.streamId === 0) this.connectionSendWindow += increment;
    else this.stream(frame.streamId).sendWindow += increment;
  }

  private settle(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.check()) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve();
      } else if (this.closed) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.reject(new Error(`connection closed while waiting for ${waiter.what}${this.describe()}`));
      }
    }
  }
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment);
  return frameBytes(H2Type.windowUpdate, 0, streamId, payload);
}

function priorityPayload(dependsOn: number, weight: number, exclusive: boolean): Buffer {
  const payload = Buffer.alloc(5);
  payload.writeUInt32BE(((exclusive ? 0x80000000 : 0) | dependsOn) >>> 0);
  payload[4] = weight;
  return payload;
}

// ---- HPACK forms beyond the stateless encoder ----

/** RFC 7541 Appendix B: the Huffman code of text, padded with 1 bits (the EOS prefix). */
export function huffmanEncode(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let bitCount = 0;
  for (const byte of Buffer.from(text, 'latin1')) {
    const length = HUFFMAN_CODE_BITS[byte] ?? 0;
    bits = bits * 2 ** length + (HUFFMAN_CODES[byte] ?? 0);
    bitCount += length;
    while (bitCount >= 8) {
      const shift = 2 ** (bitCount - 8);
      out.push(Math.floor(bits / shift) & 0xff);
      bits %= shift;
      bitCount -= 8;
    }
  }
  if (bitCount > 0) out.push(((bits << (8 - bitCount)) | ((1 << (8 - bitCount)) - 1)) & 0xff);
  return Buffer.from(out);
}

function huffmanString(text: string): Buffer {
  const coded = huffmanEncode(text);
  return Buffer.concat([encodeInteger(coded.length, 7, 0x80), coded]);
}

function plainString(text: string): Buffer {
  const octets = Buffer.from(text, 'latin1');
  return Buffer.concat([encodeInteger(octets.length, 7, 0x00), octets]);
}

/** Every field a literal without indexing, name and value Huffman-coded. */
export function encodeHuffmanBlock(fields: readonly HeaderField[]): Buffer {
  return Buffer.concat(fields.flatMap((entry) => [Buffer.of(0x00), huffmanString(entry.name), huffmanString(entry.value)]));
}

/** The stateless form: literals without indexing, no Huffman. */
export function encodePlainBlock(fields: readonly HeaderField[]): Buffer {
  return encodeHeaderBlock(fields);
}

/** RFC 7541 6.3: a dynamic table size update, which may only open a block. */
export function tableSizeUpdate(bytes: number): Buffer {
  return encodeInteger(bytes, 5, 0x20);
}

const ENTRY_OVERHEAD_BYTES = 32;

/**
 * An encoder that indexes: a field already in the static or its dynamic table is sent as one
 * index; any other is a literal with incremental indexing (so it is indexed from then on).
 * It mirrors the server's decoder table, so use one per connection, for blocks sent in order.
 */
export class IndexingEncoder {
  private readonly entries: Array<readonly [string, string]> = [];
  private tableBytes = 0;

  constructor(private tableBytesMax = 4096) {}

  /** Encodes fields; with resizeTo, the block opens with a table size update to that size. */
  encode(fields: readonly HeaderField[], resizeTo?: number): Buffer {
    const parts: Buffer[] = [];
    if (resizeTo !== undefined) {
      this.tableBytesMax = resizeTo;
      this.evict();
      parts.push(tableSizeUpdate(resizeTo));
    }
    for (const entry of fields) {
      const index = this.indexOf(entry.name, entry.value);
      if (index > 0) {
        parts.push(encodeInteger(index, 7, 0x80));
        continue;
      }
      parts.push(Buffer.of(0x40), plainString(entry.name), plainString(entry.value));
      this.entries.unshift([entry.name, entry.value]);
      this.tableBytes += entry.name.length + entry.value.length + ENTRY_OVERHEAD_BYTES;
      this.evict();
    }
    return Buffer.concat(parts);
  }

  get dynamicEntries(): number {
    return this.entries.length;
  }

  private indexOf(name: string, value: string): number {
    const inStatic = STATIC_TABLE.findIndex(([n, v]) => n === name && v === value);
    if (inStatic >= 0) return inStatic + 1;
    const inDynamic = this.entries.findIndex(([n, v]) => n === name && v === value);
    return inDynamic >= 0 ? STATIC_TABLE.length + inDynamic + 1 : 0;
  }

  private evict(): void {
    while (this.tableBytes > this.tableBytesMax) {
      const oldest = this.entries.pop();
      if (oldest === undefined) break;
      this.tableBytes -= oldest[0].length + oldest[1].length + ENTRY_OVERHEAD_BYTES;
    }
  }
}

// ---- gRPC over the raw connection ----

export function grpcFrame(message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(GRPC_PREFIX_BYTES);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** The messages of a gRPC body; throws if it does not split into whole length-prefixed messages. */
export function grpcMessages(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < GRPC_PREFIX_BYTES) throw new Error(`truncated gRPC prefix at ${at} of ${body.length}`);
    if (body[at] !== 0) throw new Error(`compressed gRPC message at ${at}`);
    const length = body.readUInt32BE(at + 1);
    const end = at + GRPC_PREFIX_BYTES + length;
    if (end > body.length) throw new Error(`truncated gRPC message at ${at}: ${length} bytes announced, ${body.length - at - GRPC_PREFIX_BYTES} there`);
    messages.push(body.subarray(at + GRPC_PREFIX_BYTES, end));
    at = end;
  }
  return messages;
}

export function grpcRequestFields(path: string, authority: string, extra: ReadonlyArray<readonly [string, string]> = []): HeaderField[] {
  return [
    field(':method', 'POST'), field(':scheme', 'http'), field(':path', path), field(':authority', authority),
    field('content-type', 'application/grpc'), field('te', 'trailers'),
    ...extra.map(([name, value]) => field(name, value)),
  ];
}

export function headerValue(block: readonly HeaderField[] | undefined, name: string): string | undefined {
  return block?.find((entry) => entry.name === name)?.value;
}

export interface GrpcResult {
  readonly headers: readonly HeaderField[];
  /** The trailers (for a trailers-only answer, the one block). */
  readonly trailers: readonly HeaderField[];
  readonly messages: Buffer[];
  readonly status: number | null;
  readonly message: string;
  readonly dataFrames: number;
}

/** Reads a finished stream as a gRPC answer. */
export function grpcResult(record: StreamRecord): GrpcResult {
  const headers = record.headerBlocks[0] ?? [];
  const trailers = record.headerBlocks[record.headerBlocks.length - 1] ?? [];
  const status = headerValue(trailers, 'grpc-status');
  return {
    headers, trailers,
    messages: grpcMessages(Buffer.concat(record.data)),
    status: status === undefined ? null : Number(status),
    message: decodeURIComponent(headerValue(trailers, 'grpc-message') ?? ''),
    dataFrames: record.dataFrameBytes.length,
  };
}

/** One unary call: HEADERS, the message in DATA frames (the last with END_STREAM), then the bounded wait for the answer. */
export async function unaryCall(
  connection: RawH2Connection, path: string, message: Uint8Array, timeoutMs: number,
  extra: ReadonlyArray<readonly [string, string]> = [],
): Promise<GrpcResult> {
  const id = connection.nextStreamId();
  connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(path, `127.0.0.1:${connection.port}`, extra)));
  await connection.sendDataWithinWindows(id, grpcFrame(message), FRAME_BYTES_DEFAULT, timeoutMs);
  return grpcResult(await connection.waitStreamEnd(id, timeoutMs));
}
