// Raft log entries (internalpb.LogRequest) encoded in one pass into one pooled
// buffer (see proto-field-writer): a put's, the most frequent entry, whose generated
// encoder's nested writer fork cost more than the rest of proposing it; and any
// request whose wire bytes are at hand (see wire-request-bytes), wrapped as they are.
import type { PutRequest } from '../generated/etcdserverpb/rpc.js';
import { LogRequest } from '../generated/internalpb/internal.js';
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
import { wireBytesOf } from './wire-request-bytes.js';

// LogRequest's fields (proto/internalpb/internal.proto), also read back by put-log-request-reader.
export const ID_TAG = tag(1, WIRE_VARINT);
const DELETE_RANGE_FIELD = 3;
const TXN_FIELD = 4;
export const PUT_TAG = tag(2, WIRE_LENGTH_DELIMITED);
const USERNAME_TAG = tag(40, WIRE_LENGTH_DELIMITED);
export const AUTH_REVISION_TAG = tag(41, WIRE_VARINT);
export const FROM_SERVER_TAG = tag(42, WIRE_VARINT);
// PutRequest's fields (proto/etcdserverpb/rpc.proto).
export const KEY_TAG = tag(1, WIRE_LENGTH_DELIMITED);
export const VALUE_TAG = tag(2, WIRE_LENGTH_DELIMITED);
export const LEASE_TAG = tag(3, WIRE_VARINT);
export const PREV_KV_TAG = tag(4, WIRE_VARINT);
export const IGNORE_VALUE_TAG = tag(5, WIRE_VARINT);
export const IGNORE_LEASE_TAG = tag(6, WIRE_VARINT);
/** Fields 1-15 have one-byte tags; 40-42 two. */
const SHORT_TAG_BYTES = 1;
const LONG_TAG_BYTES = 2;
/** A true bool field: its tag and the varint 1. */
const TRUE_VALUE_BYTES = 1;

/** The fields every log request carries besides its operation. */
export interface LogRequestMeta {
  readonly id: bigint;
  readonly username: string;
  readonly authRevision: bigint;
  readonly fromServer: boolean;
}

type LogOp = NonNullable<LogRequest['op']>;

/** LogRequest.encode({ ...meta, op }).finish(), by the cheapest way at hand. */
export function encodeLogRequest(op: LogOp, meta: LogRequestMeta): Uint8Array {
  if (op.$case === 'put') return encodePutLogRequest(op.value, meta);
  if (op.$case === 'txn' || op.$case === 'deleteRange') {
    const wire = wireBytesOf(op.value);
    if (wire !== undefined) return encodeLogRequestAround(op.$case === 'txn' ? TXN_FIELD : DELETE_RANGE_FIELD, wire, meta);
  }
  return LogRequest.encode({ ...meta, op }).finish();
}

/**
 * A LogRequest around an operation already encoded as `op` (the bytes of its oneof
 * field number `opField`): it decodes to the request `op` decodes to, and when `op`
 * is the generated encoder's output it is LogRequest.encode's output byte for byte.
 */
export function encodeLogRequestAround(opField: number, op: Uint8Array, meta: LogRequestMeta): Buffer {
  const out = Buffer.allocUnsafe(metaBytes(meta) + delimitedFieldBytes(SHORT_TAG_BYTES, op.length));
  let at = 0;
  if (meta.id !== 0n) at = writeVarint64Field(out, at, ID_TAG, meta.id);
  at = writeDelimited(out, at, tag(opField, WIRE_LENGTH_DELIMITED), op);
  writeMeta(out, at, meta);
  return out;
}

/** LogRequest.encode({ id, op: { $case: 'put', value: put }, ... }).finish(), byte for byte. */
export function encodePutLogRequest(put: PutRequest, meta: LogRequestMeta): Buffer {
  const putBytes = putRequestBytes(put);
  const out = Buffer.allocUnsafe(metaBytes(meta) + delimitedFieldBytes(SHORT_TAG_BYTES, putBytes));
  let at = 0;
  if (meta.id !== 0n) at = writeVarint64Field(out, at, ID_TAG, meta.id);
  at = writeVarint(out, writeVarint(out, at, PUT_TAG), putBytes);
  if (put.key.length !== 0) at = writeDelimited(out, at, KEY_TAG, put.key);
  if (put.value.length !== 0) at = writeDelimited(out, at, VALUE_TAG, put.value);
  if (put.lease !== 0n) at = writeVarint64Field(out, at, LEASE_TAG, put.lease);
  if (put.prevKv) at = writeTrueField(out, at, PREV_KV_TAG);
  if (put.ignoreValue) at = writeTrueField(out, at, IGNORE_VALUE_TAG);
  if (put.ignoreLease) at = writeTrueField(out, at, IGNORE_LEASE_TAG);
  writeMeta(out, at, meta);
  return out;
}

/** Bytes of the id, username, auth revision and from-server fields. */
function metaBytes(meta: LogRequestMeta): number {
  const usernameBytes = Buffer.byteLength(meta.username, 'utf8');
  let size = 0;
  if (meta.id !== 0n) size += SHORT_TAG_BYTES + varint64Bytes(meta.id);
  if (usernameBytes !== 0) size += delimitedFieldBytes(LONG_TAG_BYTES, usernameBytes);
  if (meta.authRevision !== 0n) size += LONG_TAG_BYTES + varint64Bytes(meta.authRevision);
  if (meta.fromServer) size += LONG_TAG_BYTES + TRUE_VALUE_BYTES;
  return size;
}

/** Writes the fields that follow the operation (username, auth revision, from-server). */
function writeMeta(out: Buffer, start: number, meta: LogRequestMeta): void {
  let at = start;
  if (meta.username.length !== 0) {
    const usernameBytes = Buffer.byteLength(meta.username, 'utf8');
    at = writeVarint(out, writeVarint(out, at, USERNAME_TAG), usernameBytes);
    at += out.write(meta.username, at, 'utf8');
  }
  if (meta.authRevision !== 0n) at = writeVarint64Field(out, at, AUTH_REVISION_TAG, meta.authRevision);
  if (meta.fromServer) writeTrueField(out, at, FROM_SERVER_TAG);
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
