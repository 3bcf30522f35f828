// Request decoding that never throws inside grpc-js: a malformed or oversized
// message becomes a typed failure the handler answers with gRPC-Go's status and
// text, and the server keeps serving.
import { status } from '@grpc/grpc-js';
import type { BinaryReader } from '@bufbuild/protobuf/wire';
import { ERROR_TABLE } from '../../errors/error-table.js';
import { DECODE_DEPTH_ERROR, REQUEST_DECODE_DEPTH_MAX, deepProtoReader } from '../../util/deep-proto-reader.js';
import { GrpcStatusError } from './map-error.js';

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: GrpcStatusError };

export interface MessageDecoder<T> {
  /** ts-proto's decode, which takes a reader as well as bytes. */
  decode(input: BinaryReader): T;
}

const TOO_MANY_OPS = ERROR_TABLE.TooManyOps;

export function safeDeserializer<T>(decoder: MessageDecoder<T>, maxReceiveBytes: number): (buffer: Buffer) => Decoded<T> {
  return (buffer: Buffer): Decoded<T> => {
    if (buffer.length > maxReceiveBytes) {
      const details = `grpc: received message larger than max (${buffer.length} vs. ${maxReceiveBytes})`;
      return { ok: false, error: new GrpcStatusError(status.RESOURCE_EXHAUSTED, details) };
    }
    try {
      return { ok: true, value: decoder.decode(deepProtoReader(buffer, REQUEST_DECODE_DEPTH_MAX)) };
    } catch (error) {
      // Only txns nest, and etcd refuses one nested this deep with too many operations.
      if (error instanceof Error && error.message === DECODE_DEPTH_ERROR) {
        return { ok: false, error: new GrpcStatusError(TOO_MANY_OPS.code, TOO_MANY_OPS.message) };
      }
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
