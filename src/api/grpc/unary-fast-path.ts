// Plain unary calls of the hottest methods (KV) served straight from node:http2,
// with the same handlers grpc-js would run and the same statuses, headers and
// trailers it would send. grpc-js's per-call machinery (interceptor chain, stream
// decoder, metadata copies, read queue) cost about as much CPU as the whole write
// path behind it; everything unusual (compressed messages, an unparsable deadline,
// other methods) still goes to grpc-js, which sees the stream as if first.
import { EventEmitter } from 'node:events';
import { constants as http2Constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { TLSSocket } from 'node:tls';
import { Metadata, status, type handleUnaryCall, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';

/** gRPC frame: 1 byte compressed flag, 4 bytes big-endian length. */
const FRAME_HEADER_BYTES = 5;
/**
 * Replies up to this size are copied behind their frame header and written once;
 * larger ones are written after it as they are, which saves copying (and
 * allocating) a large reply again for the price of one more stream write.
 */
const FRAME_COPY_BYTES_MAX = 16 * 1024;
/** grpc-js's grpc-timeout grammar and units. */
const DEADLINE_PATTERN = /(\d{1,8})\s*([HMSmun])/;
const DEADLINE_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
/** Request headers grpc-js keeps out of the metadata handlers see. */
const TRANSPORT_HEADERS = ['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type'];
/** What grpc-js sends before a response message. */
const RESPONSE_HEADERS = {
  [http2Constants.HTTP2_HEADER_STATUS]: http2Constants.HTTP_STATUS_OK,
  [http2Constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
};

export interface FastUnaryMethod {
  readonly path: string;
  /** The service definition's request deserializer (ours never throws: see safe-codec). */
  readonly deserialize: (bytes: Buffer) => unknown;
  readonly serialize: (value: never) => Buffer;
  /** The handler grpc-js would run, metrics wrapper included. */
  readonly handler: handleUnaryCall<unknown, unknown>;
}

/**
 * A serializer may also offer its reply as parts (as a property `inParts` of the
 * function): large ones are then written part by part, without being copied
 * into one buffer, and `sent` is called once they are out.
 */
interface SerializedParts {
  readonly parts: readonly Uint8Array[];
  readonly bytes: number;
  readonly sent: () => void;
}
type PartsSerializer = (value: never) => SerializedParts;

/** A method as served: its serializer's parts variant looked up once. */
interface ServedMethod extends FastUnaryMethod {
  readonly inParts: PartsSerializer | undefined;
}

function partsSerializerOf(serialize: FastUnaryMethod['serialize']): PartsSerializer | undefined {
  const inParts: unknown = (serialize as { inParts?: unknown }).inParts;
  return typeof inParts === 'function' ? (inParts as PartsSerializer) : undefined;
}

interface CallStatus {
  readonly code: number;
  readonly details: string;
  readonly metadata: Metadata | null;
}

export class UnaryFastPath {
  private readonly methods = new Map<string, ServedMethod>();

  /** receiveLimitBytes: grpc-js's grpc.max_receive_message_length, enforced the same way. */
  constructor(
    methods: readonly FastUnaryMethod[],
    private readonly receiveLimitBytes: number,
  ) {
    for (const method of methods) this.methods.set(method.path, { ...method, inParts: partsSerializerOf(method.serialize) });
  }

  /** Takes the stream when it is a plain unary call of a fast method; false leaves it to grpc-js. */
  tryServe(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean {
    const path = headers[http2Constants.HTTP2_HEADER_PATH];
    const method = typeof path === 'string' ? this.methods.get(path) : undefined;
    if (method === undefined) return false;
    const contentType = headers[http2Constants.HTTP2_HEADER_CONTENT_TYPE];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) return false;
    const encoding = headers['grpc-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return false;
    const timeout = headers['grpc-timeout'];
    let deadlineMs = Infinity;
    if (timeout !== undefined) {
      const match = DEADLINE_PATTERN.exec(String(timeout));
      if (match === null) return false;
      deadlineMs = Date.now() + ((Number(match[1]) * (DEADLINE_UNIT_MS[match[2] ?? ''] ?? 0)) | 0);
    }
    new FastUnaryCall(stream, headers, method, this.receiveLimitBytes, deadlineMs).start();
    return true;
  }
}

/** One call: read the single request message, run the handler, answer once. */
class FastUnaryCall extends EventEmitter {
  private readonly chunks: Buffer[] = [];
  private receivedBytes = 0;
  private finished = false;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private responseMetadata: Metadata | null = null;
  private metadataCache: Metadata | null = null;
  private frameHeaderChecked = false;
  cancelled = false;
  /** The decoded request (grpc-js's ServerUnaryCall.request), set once the body is in. */
  request: unknown = null;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly method: ServedMethod,
    private readonly receiveLimitBytes: number,
    private readonly deadlineMs: number,
  ) {
    super();
  }

  start(): void {
    const stream = this.stream;
    // Errors always come with 'close', which is where a cut call is noticed.
    stream.on('error', () => undefined);
    stream.once('close', () => {
      if (this.finished) return;
      this.finished = true;
      this.cancelled = true;
      this.clearDeadline();
      this.emit('cancelled', 'cancelled');
    });
    if (this.deadlineMs !== Infinity) {
      this.deadlineTimer = setTimeout(() => this.sendStatus({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded', metadata: null }), Math.max(0, this.deadlineMs - Date.now()));
    }
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.once('end', () => this.onEnd());
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    this.chunks.push(chunk);
    this.receivedBytes += chunk.length;
    // Like grpc-js's stream decoder: refuse as soon as the first frame header announces too much.
    if (this.frameHeaderChecked || this.receivedBytes < FRAME_HEADER_BYTES) return;
    this.frameHeaderChecked = true;
    const head = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.receivedBytes);
    const tooLarge = oversizedFrame(head.readUInt32BE(1), this.receiveLimitBytes);
    if (tooLarge !== null) this.sendStatus(tooLarge);
  }

  private onEnd(): void {
    if (this.finished) return;
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.receivedBytes);
    const message = singleMessage(body, this.method.path, this.receiveLimitBytes);
    if (!Buffer.isBuffer(message)) {
      this.sendStatus(message);
      return;
    }
    try {
      this.request = this.method.deserialize(message);
    } catch {
      this.sendStatus({ code: status.INTERNAL, details: 'Error deserializing request', metadata: null });
      return;
    }
    const call = this as unknown as ServerUnaryCall<unknown, unknown>;
    const callback: sendUnaryData<unknown> = (error, value, trailer) => this.respond(error, value, trailer ?? null);
    try {
      this.method.handler(call, callback);
    } catch (error) {
      this.sendStatus({ code: status.UNKNOWN, details: `Server method handler threw error ${error instanceof Error ? error.message : String(error)}`, metadata: null });
    }
  }

  private respond(error: unknown, value: unknown, trailer: Metadata | null): void {
    if (error !== null && error !== undefined) {
      this.sendStatus(errorToStatus(error, trailer));
      return;
    }
    if (this.finished) return;
    if (this.stream.destroyed || this.stream.closed) {
      this.finished = true;
      return;
    }
    let payload: Buffer | SerializedParts;
    try {
      const inParts = this.method.inParts;
      payload = inParts === undefined ? this.method.serialize(value as never) : inParts(value as never);
    } catch {
      this.sendStatus({ code: status.INTERNAL, details: 'Error serializing response', metadata: null });
      return;
    }
    this.finished = true;
    this.clearDeadline();
    const stream = this.stream;
    const custom = this.responseMetadata?.toHttp2Headers() ?? null;
    stream.respond(custom === null ? RESPONSE_HEADERS : { ...RESPONSE_HEADERS, ...custom }, { waitForTrailers: true });
    stream.once('wantTrailers', () => {
      stream.sendTrailers({ 'grpc-status': String(status.OK), 'grpc-message': 'OK', ...trailer?.toHttp2Headers() });
    });
    writeMessage(stream, payload);
  }

  /** A status with no message: grpc-js's trailers-only response. */
  private sendStatus(callStatus: CallStatus): void {
    if (this.finished) return;
    this.finished = true;
    this.clearDeadline();
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    stream.respond(
      {
        'grpc-status': String(callStatus.code),
        'grpc-message': encodeURI(callStatus.details),
        [http2Constants.HTTP2_HEADER_STATUS]: http2Constants.HTTP_STATUS_OK,
        [http2Constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
        ...callStatus.metadata?.toHttp2Headers(),
      },
      { endStream: true },
    );
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
  }

  // ---- The ServerUnaryCall surface handlers may read ----------------------------

  get metadata(): Metadata {
    if (this.metadataCache === null) {
      const metadata = Metadata.fromHttp2Headers(this.headers);
      for (const header of TRANSPORT_HEADERS) metadata.remove(header);
      this.metadataCache = metadata;
    }
    return this.metadataCache;
  }

  getPeer(): string {
    const socket = this.stream.session?.socket;
    if (socket?.remoteAddress === undefined) return 'unknown';
    return socket.remotePort === undefined ? socket.remoteAddress : `${socket.remoteAddress}:${socket.remotePort}`;
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
    return String(this.headers[':authority'] ?? this.headers.host ?? '');
  }

  getAuthContext(): ReturnType<ServerUnaryCall<unknown, unknown>['getAuthContext']> {
    const socket = this.stream.session?.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return {};
    const peerCertificate = socket.getPeerCertificate();
    return { transportSecurityType: 'ssl', sslPeerCertificate: peerCertificate.raw === undefined ? undefined : peerCertificate };
  }

  getMetricsRecorder(): never {
    throw new Error('per-request metric recording is not enabled on this server');
  }
}

/** Writes `payload` as the stream's one gRPC message (uncompressed) and ends the stream. */
function writeMessage(stream: ServerHttp2Stream, payload: Buffer | SerializedParts): void {
  const parts = Buffer.isBuffer(payload) ? [payload] : payload.parts;
  const bytes = Buffer.isBuffer(payload) ? payload.length : payload.bytes;
  const sent = Buffer.isBuffer(payload) ? undefined : payload.sent;
  const small = bytes <= FRAME_COPY_BYTES_MAX;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + (small ? bytes : 0));
  frame[0] = 0;
  frame.writeUInt32BE(bytes, 1);
  if (small) {
    let at = FRAME_HEADER_BYTES;
    for (const part of parts) {
      frame.set(part, at);
      at += part.length;
    }
    sent?.();
    stream.end(frame);
    return;
  }
  // Corked, the parts go out in one write to the session. The last write's callback
  // comes once the session has written every part to the socket (or dropped them
  // with the stream); only a successful one hands the parts back.
  const nonEmpty = parts.filter((part) => part.length > 0);
  const last = nonEmpty.length - 1;
  stream.cork();
  stream.write(frame);
  nonEmpty.forEach((part, i) => {
    if (i < last || sent === undefined) stream.write(part);
    else stream.write(part, (error) => (error === null || error === undefined ? sent() : undefined));
  });
  stream.end();
  stream.uncork();
}

/** The one message of a unary request body, or grpc-js's status for a body without exactly one. */
function singleMessage(body: Buffer, path: string, receiveLimitBytes: number): Buffer | CallStatus {
  let offset = 0;
  let message: Buffer | null = null;
  // Each pass consumes one whole frame, so the body's length bounds the loop.
  while (body.length - offset >= FRAME_HEADER_BYTES) {
    const length = body.readUInt32BE(offset + 1);
    const tooLarge = oversizedFrame(length, receiveLimitBytes);
    if (tooLarge !== null) return tooLarge;
    const end = offset + FRAME_HEADER_BYTES + length;
    if (end > body.length) break;
    if (message !== null) {
      return { code: status.UNIMPLEMENTED, details: `Received a second request message for server streaming method ${path}`, metadata: null };
    }
    message = body.subarray(offset + FRAME_HEADER_BYTES, end);
    offset = end;
  }
  if (message === null) {
    return { code: status.UNIMPLEMENTED, details: `Received no request message for server streaming method ${path}`, metadata: null };
  }
  return message;
}

function oversizedFrame(lengthBytes: number, receiveLimitBytes: number): CallStatus | null {
  if (receiveLimitBytes === -1 || lengthBytes <= receiveLimitBytes) return null;
  return { code: status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${lengthBytes} vs ${receiveLimitBytes})`, metadata: null };
}

/** grpc-js's reading of a handler's error: a numeric code and its details, else UNKNOWN with the message. */
function errorToStatus(error: unknown, trailer: Metadata | null): CallStatus {
  const fields = typeof error === 'object' && error !== null ? (error as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown }) : {};
  const metadata = trailer ?? (fields.metadata instanceof Metadata ? fields.metadata : null);
  if (typeof fields.code === 'number' && Number.isInteger(fields.code)) {
    const details = typeof fields.details === 'string' ? fields.details : typeof fields.message === 'string' ? fields.message : 'Unknown Error';
    return { code: fields.code, details, metadata };
  }
  return { code: status.UNKNOWN, details: typeof fields.message === 'string' ? fields.message : 'Unknown Error', metadata };
}
