// Readers for ts-proto's generated decoders that allow deeper nesting than the
// generator's fixed limit: a txn nests in a txn (two messages a level), and etcd
// takes nesting up to --max-txn-ops, which the fixed limit of 100 cuts at ~50.
import { BinaryReader } from '@bufbuild/protobuf/wire';

/** ts-proto's generated decoders stop at this many nested messages (fixed in the generator). */
const TS_PROTO_DECODE_DEPTH_MAX = 100;
/** Nested messages a client request may have; etcd refuses a txn nested ~130 deep (260 messages) anyway. */
export const REQUEST_DECODE_DEPTH_MAX = 1024;
/** A request inside a raft log entry (or an answer) sits under a few more messages than the request alone. */
export const WRAPPED_DECODE_DEPTH_MAX = REQUEST_DECODE_DEPTH_MAX + 8;
/** What ts-proto's decoders throw past the depth. */
export const DECODE_DEPTH_ERROR = 'protobuf decode recursion limit exceeded';

/** A reader on `bytes` whose ts-proto depth count starts below zero, so `depthMax` nested messages decode. */
export function deepProtoReader(bytes: Uint8Array, depthMax: number): BinaryReader {
  const reader = new BinaryReader(bytes);
  Object.assign(reader, { __tsProtoDecodeDepth: TS_PROTO_DECODE_DEPTH_MAX - depthMax });
  return reader;
}
