// A Watch stream over bare HTTP/2 that can truly stop reading: paused, it stops
// returning flow-control credit, so the server's writes back up as they would
// for a client on a slow link (grpc-js clients keep reading into memory).
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { WatchRequest, WatchResponse, type DeepPartial, type WatchCreateRequest } from '../../src/generated/etcdserverpb/rpc.js';

const GRPC_PREFIX_BYTES = 5;

export class StalledStream {
  private readonly session: ClientHttp2Session;
  private readonly stream: ClientHttp2Stream;
  private pendingBytes: Buffer = Buffer.alloc(0);
  private readonly received: WatchResponse[] = [];

  constructor(endpoint: string) {
    this.session = connect(`http://${endpoint}`);
    this.session.on('error', () => undefined);
    this.stream = this.session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: '/etcdserverpb.Watch/Watch',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    this.stream.on('error', () => undefined);
    this.stream.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  create(request: DeepPartial<WatchCreateRequest>): void {
    this.writeMessage(WatchRequest.encode(WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', value: request } })).finish());
  }

  /** Sends `body` as one gRPC message, whatever it holds. */
  writeMessage(body: Uint8Array): void {
    const frame = Buffer.alloc(GRPC_PREFIX_BYTES + body.length);
    frame.writeUInt32BE(body.length, 1);
    Buffer.from(body).copy(frame, GRPC_PREFIX_BYTES);
    this.stream.write(frame);
  }

  /** Stops consuming: the server sees the flow-control window close. */
  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  /** Responses decoded so far and not yet taken. */
  drain(): WatchResponse[] {
    return this.received.splice(0);
  }

  close(): void {
    this.stream.close(constants.NGHTTP2_CANCEL);
    this.session.close();
  }

  /** The grpc-status trailer once the server ends the call. */
  status(): Promise<{ code: number; message: string }> {
    return new Promise((resolve) => {
      this.stream.once('trailers', (trailers) => {
        resolve({ code: Number(trailers['grpc-status']), message: decodeURIComponent(String(trailers['grpc-message'] ?? '')) });
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.pendingBytes = this.pendingBytes.length === 0 ? chunk : Buffer.concat([this.pendingBytes, chunk]);
    // Each pass consumes one whole message, so this ends when the buffer runs short.
    while (this.pendingBytes.length >= GRPC_PREFIX_BYTES) {
      const length = this.pendingBytes.readUInt32BE(1);
      if (this.pendingBytes.length < GRPC_PREFIX_BYTES + length) return;
      this.received.push(WatchResponse.decode(this.pendingBytes.subarray(GRPC_PREFIX_BYTES, GRPC_PREFIX_BYTES + length)));
      this.pendingBytes = this.pendingBytes.subarray(GRPC_PREFIX_BYTES + length);
    }
  }
}
