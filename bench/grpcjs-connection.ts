// A load connection over grpc-js: its own channel (a local subchannel pool forces a separate
// TCP connection) sending pre-encoded unary requests and counting, not decoding, the replies.
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import {
  CALL_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  MESSAGE_BYTES_MAX,
  type CallOutcome,
  type LoadConnection,
  type LoadStream,
  type StreamHandlers,
} from './load-connection.js';

const identity = (b: Buffer): Buffer => b;

export class GrpcJsConnection implements LoadConnection {
  private readonly client: Client;
  private closed = false;

  constructor(endpoint: string, connectionIndex: number) {
    this.client = new Client(endpoint, credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      // A distinct option value also keeps grpc-js from sharing a channel between connections.
      'grpc.primary_user_agent': `etcd-ts-bench/conn-${connectionIndex}`,
      'grpc.max_receive_message_length': MESSAGE_BYTES_MAX,
      'grpc.max_send_message_length': MESSAGE_BYTES_MAX,
    });
  }

  waitReady(timeoutMs: number = CONNECT_TIMEOUT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve()));
    });
  }

  call(path: string, payload: Buffer): Promise<CallOutcome> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(path, identity, identity, payload, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err: ServiceError | null) =>
        resolve(err ? statusName(err.code) : 'OK'),
      );
    });
  }

  callRaw(path: string, payload: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(
        path,
        identity,
        identity,
        payload,
        { deadline: Date.now() + CALL_TIMEOUT_MS },
        (err: ServiceError | null, reply?: Buffer) => (err || !reply ? reject(err ?? new Error('empty reply')) : resolve(reply)),
      );
    });
  }

  openStream(path: string, handlers: StreamHandlers): LoadStream {
    const call = this.client.makeBidiStreamRequest<Buffer, Buffer>(path, identity, identity);
    call.on('data', (m: Buffer) => handlers.onMessage(m));
    let ended = false;
    const end = (outcome: CallOutcome): void => {
      if (ended) return;
      ended = true;
      handlers.onEnd(outcome);
    };
    call.on('error', (err: ServiceError) => end(statusName(err.code)));
    call.on('status', (s: { code: number }) => end(s.code === status.OK ? 'OK' : statusName(s.code)));
    return { send: (payload) => void (call.writable && call.write(payload)), close: () => call.cancel() };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

export function statusName(code: number): string {
  // A numeric enum maps numbers back to names; codes outside it get a readable fallback.
  const name: string | undefined = status[code];
  return name ?? `CODE_${code}`;
}
