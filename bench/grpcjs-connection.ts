// One load connection: its own grpc-js channel (a local subchannel pool forces a separate TCP
// connection) sending pre-encoded unary requests and counting, not decoding, the replies.
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';

/** How long a connection may take to become ready before the run is abandoned. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Deadline of one request; a request slower than this counts as DEADLINE_EXCEEDED. */
export const CALL_TIMEOUT_MS = 10_000;
/** etcd's default server receive limit is 1.5 MiB; range replies can be larger. */
const MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

/** Outcome of one call: 'OK' or the gRPC status name. */
export type CallOutcome = string;

const identity = (b: Buffer): Buffer => b;

export class LoadConnection {
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

  /** Sends one request; resolves with the outcome, never rejects. */
  call(path: string, payload: Buffer, timeoutMs: number = CALL_TIMEOUT_MS): Promise<CallOutcome> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(
        path,
        identity,
        identity,
        payload,
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null) => resolve(err ? statusName(err.code) : 'OK'),
      );
    });
  }

  /** Like call, but returns the raw reply for the few callers that decode it. */
  callRaw(path: string, payload: Buffer, timeoutMs: number = CALL_TIMEOUT_MS): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(
        path,
        identity,
        identity,
        payload,
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, reply?: Buffer) => (err || !reply ? reject(err ?? new Error('empty reply')) : resolve(reply)),
      );
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

export function statusName(code: number): string {
  const name: unknown = (status as unknown as Record<number, unknown>)[code];
  return typeof name === 'string' ? name : `CODE_${code}`;
}
