// Request decoding that never throws inside grpc-js: a malformed or oversized
// message becomes a typed failure the handler answers with gRPC-Go's status and
// text, and the server keeps serving.
import { status } from '@grpc/grpc-js';
import { GrpcStatusError } from './map-error.js';

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: GrpcStatusError };

export interface MessageDecoder<T> {
  decode(input: Uint8Array): T;
}

export function safeDeserializer<T>(decoder: MessageDecoder<T>, maxReceiveBytes: number): (buffer: Buffer) => Decoded<T> {
  return (buffer: Buffer): Decoded<T> => {
    if (buffer.length > maxReceiveBytes) {
      const details = `grpc: received message larger than max (${buffer.length} vs. ${maxReceiveBytes})`;
      return { ok: false, error: new GrpcStatusError(status.RESOURCE_EXHAUSTED, details) };
    }
    try {
      return { ok: true, value: decoder.decode(buffer) };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const details = `grpc: error unmarshalling request: ${reason}`;
      return { ok: false, error: new GrpcStatusError(status.INTERNAL, details) };
    }
  };
}

export function unwrap<T>(decoded: Decoded<T>): T {
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}
