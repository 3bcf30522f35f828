// A served gRPC method as the server dispatches it: how its messages are coded
// and the grpc-js-style handler that serves it.
import type { handleBidiStreamingCall, handleServerStreamingCall, handleUnaryCall } from '@grpc/grpc-js';

/**
 * A serializer may also offer its reply as parts (as a property `inParts` of the
 * function): large ones are then written part by part, without being copied
 * into one buffer, and `sent` is called once they are out.
 */
export interface SerializedParts {
  readonly parts: readonly Uint8Array[];
  readonly bytes: number;
  readonly sent: () => void;
}
export type PartsSerializer = (value: never) => SerializedParts;

interface MethodCommon {
  readonly path: string;
  /** The service definition's request deserializer (ours never throw: see safe-codec). */
  readonly deserialize: (bytes: Buffer) => unknown;
  readonly serialize: (value: never) => Buffer;
  readonly inParts: PartsSerializer | undefined;
}

export type GrpcMethod =
  | (MethodCommon & { readonly kind: 'unary'; readonly handler: handleUnaryCall<unknown, unknown> })
  | (MethodCommon & { readonly kind: 'serverStream'; readonly handler: handleServerStreamingCall<unknown, unknown> })
  | (MethodCommon & { readonly kind: 'bidi'; readonly handler: handleBidiStreamingCall<unknown, unknown> });

export function partsSerializerOf(serialize: (value: never) => Buffer): PartsSerializer | undefined {
  const inParts: unknown = (serialize as { inParts?: unknown }).inParts;
  return typeof inParts === 'function' ? (inParts as PartsSerializer) : undefined;
}

export interface SerializedMessage {
  readonly parts: readonly Buffer[];
  readonly bytes: number;
  /** Call once the parts are written out (their memory may then be reused). */
  readonly sent: () => void;
}

/** The response message as buffers (views, not copies), and what to call once they are sent. */
export function serializeMessage(method: GrpcMethod, value: unknown): SerializedMessage {
  if (method.inParts === undefined) {
    const bytes = method.serialize(value as never);
    return { parts: [bytes], bytes: bytes.length, sent: noop };
  }
  const serialized = method.inParts(value as never);
  const parts = serialized.parts.map((part) => (Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength)));
  return { parts, bytes: serialized.bytes, sent: serialized.sent };
}

function noop(): void {}
