// A lean gRPC unary client on node:http2: one session (one TCP connection), one stream per
// request, length-prefixed messages, status from trailers (or headers for trailers-only replies).
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { statusName } from './grpcjs-connection.js';
import { FrameSplitter, framed } from './grpc-frames.js';
import {
  CALL_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  MESSAGE_BYTES_MAX,
  type CallOutcome,
  type LoadConnection,
  type LoadStream,
  type StreamHandlers,
} from './load-connection.js';

/** Per-stream and per-session receive windows large enough for a 1,000-key range reply. */
const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
const SESSION_WINDOW_BYTES = 64 * 1024 * 1024;
const GRPC_PREFIX_BYTES = 5;
/** The server enforces the deadline, so the client keeps no timer per request. */
const GRPC_TIMEOUT_HEADER = `${Math.ceil(CALL_TIMEOUT_MS / 1000)}S`;

function grpcStatusOf(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers['grpc-status'];
  return typeof raw === 'string' ? raw : undefined;
}

export class Http2Connection implements LoadConnection {
  private readonly session: ClientHttp2Session;
  private closed = false;
  private failure: Error | undefined;

  constructor(endpoint: string) {
    this.session = connect(`http://${endpoint}`, {
      settings: { initialWindowSize: STREAM_WINDOW_BYTES, maxHeaderListSize: 64 * 1024 },
      maxSessionMemory: 64,
    });
    // A dead session fails its streams; this listener only keeps the error from crashing the thread.
    this.session.on('error', (err) => (this.failure = err));
    this.session.once('connect', (s: ClientHttp2Session) => s.setLocalWindowSize(SESSION_WINDOW_BYTES));
  }

  waitReady(timeoutMs: number = CONNECT_TIMEOUT_MS): Promise<void> {
    if (this.session.connecting === false && !this.session.destroyed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
      this.session.once('connect', () => (clearTimeout(timer), resolve()));
      this.session.once('error', (err) => (clearTimeout(timer), reject(err)));
    });
  }

  private send(path: string, payload: Buffer): ClientHttp2Stream {
    const stream = this.session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: path,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
      'grpc-timeout': GRPC_TIMEOUT_HEADER,
    });
    const prefix = Buffer.allocUnsafe(GRPC_PREFIX_BYTES);
    prefix.writeUInt8(0, 0);
    prefix.writeUInt32BE(payload.length, 1);
    stream.write(prefix);
    stream.end(payload);
    return stream;
  }

  /** Collects the status of one stream; `onData` sees the reply bytes when the caller wants them. */
  private outcomeOf(stream: ClientHttp2Stream, onData: ((chunk: Buffer) => void) | undefined): Promise<CallOutcome> {
    return new Promise((resolve) => {
      let grpcStatus: string | undefined;
      let httpStatus = 0;
      stream.on('response', (headers) => {
        httpStatus = Number(headers[constants.HTTP2_HEADER_STATUS] ?? 0);
        grpcStatus = grpcStatusOf(headers) ?? grpcStatus;
      });
      stream.on('trailers', (trailers) => (grpcStatus = grpcStatusOf(trailers) ?? grpcStatus));
      stream.on('data', onData ?? (() => undefined));
      // A reset or broken stream is what grpc-js reports as UNAVAILABLE (14).
      stream.on('error', () => (grpcStatus ??= '14'));
      stream.on('close', () => {
        if (grpcStatus !== undefined) resolve(grpcStatus === '0' ? 'OK' : statusName(Number(grpcStatus)));
        else resolve(httpStatus !== 200 && httpStatus !== 0 ? `HTTP_${httpStatus}` : 'UNAVAILABLE');
      });
    });
  }

  call(path: string, payload: Buffer): Promise<CallOutcome> {
    if (this.closed || this.session.destroyed) return Promise.resolve(this.failure ? 'UNAVAILABLE' : 'CANCELLED');
    return this.outcomeOf(this.send(path, payload), undefined);
  }

  async callRaw(path: string, payload: Buffer): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const outcome = await this.outcomeOf(this.send(path, payload), (chunk) => {
      bytes += chunk.length;
      if (bytes <= MESSAGE_BYTES_MAX) chunks.push(chunk);
    });
    if (outcome !== 'OK') throw new Error(`${path} failed: ${outcome}`);
    const body = Buffer.concat(chunks);
    if (body.length < GRPC_PREFIX_BYTES) throw new Error(`${path}: reply shorter than its gRPC prefix`);
    return body.subarray(GRPC_PREFIX_BYTES, GRPC_PREFIX_BYTES + body.readUInt32BE(1));
  }

  openStream(path: string, handlers: StreamHandlers): LoadStream {
    const stream = this.session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: path,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
    });
    const splitter = new FrameSplitter(MESSAGE_BYTES_MAX);
    const onMessage = (m: Buffer): void => handlers.onMessage(m);
    stream.on('data', (chunk: Buffer) => splitter.push(chunk, onMessage));
    void this.outcomeOf(stream, undefined).then((outcome) => handlers.onEnd(outcome));
    return {
      send: (payload) => void (stream.writable && stream.write(framed(payload))),
      close: () => {
        if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
      },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
  }
}
