// A put's raft log entry (internalpb.LogRequest with op put), encoded in one pass
// into one pooled buffer: the most frequent entry, and the generated encoder's
// nested writer fork cost more than the rest of proposing it (see proto-field-writer).
import type { PutRequest } from '../generated/etcdserverpb/rpc.js';
import {
  delimitedFieldBytes,
  tag,
  varint64Bytes,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  writeDelimited,
  writeTrueField,
  writeVarint,
  writeVarint64Field,
} from '../util/proto-field-writer.js';

// LogRequest's fields (proto/internalpb/internal.proto).
const ID_TAG = tag(1, WIRE_VARINT);
const PUT_TAG = tag(2, WIRE_LENGTH_DELIMITED);
const USERNAME_TAG = tag(40, WIRE_LENGTH_DELIMITED);
const AUTH_REVISION_TAG = tag(41, WIRE_VARINT);
const FROM_SERVER_TAG = tag(42, WIRE_VARINT);
// PutRequest's fields (proto/etcdserverpb/rpc.proto).
const KEY_TAG = tag(1, WIRE_LENGTH_DELIMITED);
const VALUE_TAG = tag(2, WIRE_LENGTH_DELIMITED);
const LEASE_TAG = tag(3, WIRE_VARINT);
const PREV_KV_TAG = tag(4, WIRE_VARINT);
const IGNORE_VALUE_TAG = tag(5, WIRE_VARINT);
const IGNORE_LEASE_TAG = tag(6, WIRE_VARINT);
/** Fields 1-15 have one-byte tags; 40-42 two. */
const SHORT_TAG_BYTES = 1;
const LONG_TAG_BYTES = 2;
/** A true bool field: its tag and the varint 1. */
const TRUE_VALUE_BYTES = 1;

export interface PutLogRequest {
  readonly id: bigint;
  readonly put: PutRequest;
  readonly username: string;
  readonly authRevision: bigint;
  readonly fromServer: boolean;
}

/** LogRequest.encode({ id, op: { $case: 'put', value: put }, ... }).finish(), byte for byte. */
export function encodePutLogRequest(request: PutLogRequest): Buffer {
  const put = request.put;
  const putBytes = putRequestBytes(put);
  const usernameBytes = Buffer.byteLength(request.username, 'utf8');
  let size = delimitedFieldBytes(SHORT_TAG_BYTES, putBytes);
  if (request.id !== 0n) size += SHORT_TAG_BYTES + varint64Bytes(request.id);
  if (usernameBytes !== 0) size += delimitedFieldBytes(LONG_TAG_BYTES, usernameBytes);
  if (request.authRevision !== 0n) size += LONG_TAG_BYTES + varint64Bytes(request.authRevision);
  if (request.fromServer) size += LONG_TAG_BYTES + TRUE_VALUE_BYTES;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  if (request.id !== 0n) at = writeVarint64Field(out, at, ID_TAG, request.id);
  at = writeVarint(out, writeVarint(out, at, PUT_TAG), putBytes);
  if (put.key.length !== 0) at = writeDelimited(out, at, KEY_TAG, put.key);
  if (put.value.length !== 0) at = writeDelimited(out, at, VALUE_TAG, put.value);
  if (put.lease !== 0n) at = writeVarint64Field(out, at, LEASE_TAG, put.lease);
  if (put.prevKv) at = writeTrueField(out, at, PREV_KV_TAG);
  if (put.ignoreValue) at = writeTrueField(out, at, IGNORE_VALUE_TAG);
  if (put.ignoreLease) at = writeTrueField(out, at, IGNORE_LEASE_TAG);
  if (usernameBytes !== 0) {
    at = writeVarint(out, writeVarint(out, at, USERNAME_TAG), usernameBytes);
    at += out.write(request.username, at, 'utf8');
  }
  if (request.authRevision !== 0n) at = writeVarint64Field(out, at, AUTH_REVISION_TAG, request.authRevision);
  if (request.fromServer) writeTrueField(out, at, FROM_SERVER_TAG);
  return out;
}

function putRequestBytes(put: PutRequest): number {
  let size = 0;
  if (put.key.length !== 0) size += delimitedFieldBytes(SHORT_TAG_BYTES, put.key.length);
  if (put.value.length !== 0) size += delimitedFieldBytes(SHORT_TAG_BYTES, put.value.length);
  if (put.lease !== 0n) size += SHORT_TAG_BYTES + varint64Bytes(put.lease);
  if (put.prevKv) size += SHORT_TAG_BYTES + TRUE_VALUE_BYTES;
  if (put.ignoreValue) size += SHORT_TAG_BYTES + TRUE_VALUE_BYTES;
  if (put.ignoreLease) size += SHORT_TAG_BYTES + TRUE_VALUE_BYTES;
  return size;
}
