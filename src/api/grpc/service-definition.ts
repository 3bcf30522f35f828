// Rebuilds a generated grpc-js service definition so that every request passes
// through safeDeserializer: handlers receive Decoded<T> instead of T.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { safeDeserializer, type Decoded, type MessageDecoder } from './safe-codec.js';

interface GeneratedMethod<Req, Res> {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly requestDeserialize: (value: Buffer) => Req;
  readonly responseSerialize: (value: Res) => Buffer;
  readonly responseDeserialize: (value: Buffer) => Res;
}

interface AnyGeneratedMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestSerialize: (value: never) => Buffer;
  readonly requestDeserialize: (value: Buffer) => unknown;
  readonly responseSerialize: (value: never) => Buffer;
  readonly responseDeserialize: (value: Buffer) => unknown;
}

type GeneratedService = Readonly<Record<string, AnyGeneratedMethod>>;

/** The same service, with each request type T replaced by Decoded<T>. */
export type SafeService<S> = {
  readonly [K in keyof S]: S[K] extends GeneratedMethod<infer Req, infer Res>
    ? GeneratedMethod<Decoded<Req>, Res>
    : never;
};

export function withSafeDecoding<S extends GeneratedService>(service: S, maxReceiveBytes: number): SafeService<S> & ServiceDefinition {
  const result: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    // ts-proto's requestDeserialize hands its argument to decode(), which takes a reader as well as bytes.
    const decoder: MessageDecoder<unknown> = { decode: (reader) => method.requestDeserialize(reader as unknown as Buffer) };
    result[name] = {
      ...method,
      requestDeserialize: safeDeserializer(decoder, maxReceiveBytes),
      requestSerialize: (): Buffer => {
        throw new Error('server-side definition cannot serialize requests');
      },
    };
  }
  return result as SafeService<S> & ServiceDefinition;
}
