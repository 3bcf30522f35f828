// The connection contract the load workers use and its limits; transports implement it
// (grpcjs-connection.ts, http2-connection.ts) and open-connection.ts picks one.

/** How long a connection may take to become ready before the run is abandoned. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Deadline of one request; a request slower than this counts as DEADLINE_EXCEEDED. */
export const CALL_TIMEOUT_MS = 10_000;
/** etcd's default server receive limit is 1.5 MiB; range replies can be larger. */
export const MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

/** Outcome of one call: 'OK' or the gRPC status name. */
export type CallOutcome = string;

export type Transport = 'http2' | 'grpc-js';
export const TRANSPORTS: readonly Transport[] = ['http2', 'grpc-js'];
/** Measured on this project's 2-core box: grpc-js costs the generator about 2.3x the CPU per call. */
export const TRANSPORT_DEFAULT: Transport = 'http2';

/** One bidirectional gRPC stream (watch, lease keep-alive) carrying pre-encoded messages. */
export interface LoadStream {
  send(payload: Buffer): void;
  /** Cancels the stream; safe to call twice. */
  close(): void;
}

export interface StreamHandlers {
  onMessage(message: Buffer): void;
  /** The stream ended: 'OK' or the gRPC status name. */
  onEnd(outcome: CallOutcome): void;
}

export interface LoadConnection {
  waitReady(timeoutMs?: number): Promise<void>;
  /** Sends one pre-encoded request; resolves with the outcome, never rejects. */
  call(path: string, payload: Buffer): Promise<CallOutcome>;
  /** Sends one request and returns the encoded reply; rejects on any non-OK status. */
  callRaw(path: string, payload: Buffer): Promise<Buffer>;
  /** Opens a bidirectional stream on this connection. */
  openStream(path: string, handlers: StreamHandlers): LoadStream;
  close(): void;
}
