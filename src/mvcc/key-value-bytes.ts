// The stored form of a key's version: mvccpb.KeyValue bytes, written on every put
// and delete, encoded in one pass into one pooled buffer (see proto-field-writer).
import type { KeyValue } from '../generated/mvccpb/kv.js';
import {
  delimitedFieldBytes,
  tag,
  varint64Bytes,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  writeDelimited,
  writeVarint64Field,
} from '../util/proto-field-writer.js';

const KEY_TAG = tag(1, WIRE_LENGTH_DELIMITED);
const CREATE_REVISION_TAG = tag(2, WIRE_VARINT);
const MOD_REVISION_TAG = tag(3, WIRE_VARINT);
const VERSION_TAG = tag(4, WIRE_VARINT);
const VALUE_TAG = tag(5, WIRE_LENGTH_DELIMITED);
const LEASE_TAG = tag(6, WIRE_VARINT);
/** Every KeyValue field number is below 16, so each tag is one byte. */
const TAG_BYTES = 1;

/** KeyValue.encode(kv).finish(), byte for byte, without the generated writer's allocations. */
export function encodeKeyValue(kv: KeyValue): Buffer {
  let size = 0;
  if (kv.key.length !== 0) size += delimitedFieldBytes(TAG_BYTES, kv.key.length);
  if (kv.createRevision !== 0n) size += TAG_BYTES + varint64Bytes(kv.createRevision);
  if (kv.modRevision !== 0n) size += TAG_BYTES + varint64Bytes(kv.modRevision);
  if (kv.version !== 0n) size += TAG_BYTES + varint64Bytes(kv.version);
  if (kv.value.length !== 0) size += delimitedFieldBytes(TAG_BYTES, kv.value.length);
  if (kv.lease !== 0n) size += TAG_BYTES + varint64Bytes(kv.lease);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  if (kv.key.length !== 0) at = writeDelimited(out, at, KEY_TAG, kv.key);
  if (kv.createRevision !== 0n) at = writeVarint64Field(out, at, CREATE_REVISION_TAG, kv.createRevision);
  if (kv.modRevision !== 0n) at = writeVarint64Field(out, at, MOD_REVISION_TAG, kv.modRevision);
  if (kv.version !== 0n) at = writeVarint64Field(out, at, VERSION_TAG, kv.version);
  if (kv.value.length !== 0) at = writeDelimited(out, at, VALUE_TAG, kv.value);
  if (kv.lease !== 0n) at = writeVarint64Field(out, at, LEASE_TAG, kv.lease);
  return out;
}
