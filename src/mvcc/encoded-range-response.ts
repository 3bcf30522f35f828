// A RangeResponse whose keys are still the stored mvccpb.KeyValue records. Its
// gRPC encoder copies each record into the reply as it is (RangeResponse field 2
// is a repeated KeyValue, and a stored record is one KeyValue's encoding), so a
// large range skips a decode and a re-encode per key; code that reads `kvs`
// in-process gets them decoded on first access, as from any RangeResponse.
import { RangeResponse } from '../generated/etcdserverpb/rpc.js';
import { KeyValue } from '../generated/mvccpb/kv.js';

/** Records of the responses whose kvs nobody has read or replaced yet. */
const pendingRecords = new WeakMap<RangeResponse, readonly Buffer[]>();

/** RangeResponse field 2 (kvs), wire type 2 (length-delimited): (2 << 3) | 2. */
const KVS_FIELD_TAG = 0x12;
const KVS_FIELD_TAG_BYTES = 1;
const VARINT_PAYLOAD_BITS = 7;
const VARINT_PAYLOAD_MASK = 0x7f;
const VARINT_CONTINUE_BIT = 0x80;
/** A record length is a uint32: at most 5 varint bytes. */
const LENGTH_VARINT_BYTES_MAX = 5;

/** A range response carrying `records` (stored KeyValue encodings, in key order) as its kvs. */
export function encodedRangeResponse(records: readonly Buffer[], more: boolean, count: bigint): RangeResponse {
  let decoded: KeyValue[] | undefined;
  const response: RangeResponse = {
    header: undefined,
    get kvs(): KeyValue[] {
      if (decoded === undefined) {
        decoded = records.map((record) => KeyValue.decode(record));
        // The caller may change what it was handed: encode from it from now on.
        pendingRecords.delete(response);
      }
      return decoded;
    },
    set kvs(value: KeyValue[]) {
      decoded = value;
      pendingRecords.delete(response);
    },
    more,
    count,
  };
  pendingRecords.set(response, records);
  return response;
}

/**
 * The Range method's response serializer: the generated encoding for any
 * response, except that untouched records go out byte for byte. Field order is
 * the generated one (header, kvs, more, count).
 */
export function serializeRangeResponse(response: RangeResponse): Buffer {
  const records = pendingRecords.get(response);
  if (records === undefined) return Buffer.from(RangeResponse.encode(response).finish());
  // The generated encoder writes the other fields, with its checks.
  const head = RangeResponse.encode({ header: response.header, kvs: [], more: false, count: 0n }).finish();
  const tail = RangeResponse.encode({ header: undefined, kvs: [], more: response.more, count: response.count }).finish();
  let size = head.length + tail.length;
  for (const record of records) size += KVS_FIELD_TAG_BYTES + varintBytes(record.length) + record.length;
  const out = Buffer.allocUnsafe(size);
  out.set(head, 0);
  let offset = head.length;
  for (const record of records) {
    out[offset++] = KVS_FIELD_TAG;
    offset = writeVarint(out, offset, record.length);
    out.set(record, offset);
    offset += record.length;
  }
  out.set(tail, offset);
  return out;
}

function varintBytes(value: number): number {
  let bytes = 1;
  for (let rest = value >>> VARINT_PAYLOAD_BITS; rest !== 0 && bytes < LENGTH_VARINT_BYTES_MAX; rest >>>= VARINT_PAYLOAD_BITS) bytes++;
  return bytes;
}

function writeVarint(out: Buffer, offset: number, value: number): number {
  let rest = value >>> 0;
  let at = offset;
  for (let i = 1; i < LENGTH_VARINT_BYTES_MAX && rest > VARINT_PAYLOAD_MASK; i++) {
    out[at++] = (rest & VARINT_PAYLOAD_MASK) | VARINT_CONTINUE_BIT;
    rest >>>= VARINT_PAYLOAD_BITS;
  }
  out[at++] = rest;
  return at;
}
