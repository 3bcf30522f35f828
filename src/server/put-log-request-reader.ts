// The log entry the apply loop decodes most, a put, read back from the layout
// encodePutLogRequest writes: its fields in that order, each at most once, bools as 1.
// The key and value are views on the entry's bytes (the raft log keeps them unchanged),
// where the generated decoder builds defaults and copies both. Anything else (another
// layout, a username, an unknown field, a truncated entry) returns undefined, and the
// caller decodes with LogRequest.decode, which also reports what is wrong.
import type { PutRequest } from '../generated/etcdserverpb/rpc.js';
import type { LogRequest } from '../generated/internalpb/internal.js';

// Tags as encodePutLogRequest writes them (one byte up to field 15, two for 41 and 42).
const ID_TAG = 0x08;
const PUT_TAG = 0x12;
const KEY_TAG = 0x0a;
const VALUE_TAG = 0x12;
const LEASE_TAG = 0x18;
const PREV_KV_TAG = 0x20;
const IGNORE_VALUE_TAG = 0x28;
const IGNORE_LEASE_TAG = 0x30;
const AUTH_REVISION_TAG = [0xc8, 0x02] as const;
const FROM_SERVER_TAG = [0xd0, 0x02] as const;
const TRUE = 1;
/** A varint has at most 10 bytes; the 10th carries only bit 63. */
const VARINT64_BYTES_MAX = 10;
const EMPTY = Buffer.alloc(0);

class Cursor {
  at = 0;
  constructor(readonly data: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.data.length;
  }

  takeByte(expected: number): boolean {
    if (this.data[this.at] !== expected) return false;
    this.at++;
    return true;
  }

  /** A varint below 2^32, or -1 if it is longer or runs past the end. */
  length(): number {
    let value = 0;
    // At most 5 bytes: 35 bits cover 32.
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.data[this.at++];
      if (byte === undefined) return -1;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value <= 0xffff_ffff ? value : -1;
    }
    return -1;
  }

  /** An unsigned 64-bit varint, or undefined if it is malformed or runs past the end. */
  uint64(): bigint | undefined {
    let low = 0;
    let high = 0;
    for (let i = 0; i < VARINT64_BYTES_MAX; i++) {
      const byte = this.data[this.at++];
      if (byte === undefined || (i === VARINT64_BYTES_MAX - 1 && byte > 1)) return undefined;
      const bits = byte & 0x7f;
      // Bits 0-27 go to `low`; the 5th byte splits at bit 32; the rest go to `high`.
      if (i < 4) low |= bits << (7 * i);
      else if (i === 4) {
        low |= bits << 28;
        high = bits >>> 4;
      } else high |= bits << (7 * i - 32);
      if (byte < 0x80) return high === 0 ? BigInt(low >>> 0) : (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    }
    return undefined;
  }

  /** `length` bytes as a view, or undefined past the end. */
  view(length: number): Buffer | undefined {
    if (length < 0 || this.at + length > this.data.length) return undefined;
    const bytes = length === 0 ? EMPTY : Buffer.from(this.data.buffer, this.data.byteOffset + this.at, length);
    this.at += length;
    return bytes;
  }
}

function readPut(cursor: Cursor, end: number): PutRequest | undefined {
  const put: PutRequest = { key: EMPTY, value: EMPTY, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
  if (cursor.at < end && cursor.takeByte(KEY_TAG)) {
    const key = cursor.view(cursor.length());
    if (key === undefined) return undefined;
    put.key = key;
  }
  if (cursor.at < end && cursor.takeByte(VALUE_TAG)) {
    const value = cursor.view(cursor.length());
    if (value === undefined) return undefined;
    put.value = value;
  }
  if (cursor.at < end && cursor.takeByte(LEASE_TAG)) {
    const lease = cursor.uint64();
    if (lease === undefined) return undefined;
    put.lease = BigInt.asIntN(64, lease);
  }
  const prevKv = readFlag(cursor, end, PREV_KV_TAG);
  const ignoreValue = prevKv === undefined ? undefined : readFlag(cursor, end, IGNORE_VALUE_TAG);
  const ignoreLease = ignoreValue === undefined ? undefined : readFlag(cursor, end, IGNORE_LEASE_TAG);
  if (prevKv === undefined || ignoreValue === undefined || ignoreLease === undefined || cursor.at !== end) return undefined;
  put.prevKv = prevKv;
  put.ignoreValue = ignoreValue;
  put.ignoreLease = ignoreLease;
  return put;
}

/** A bool field as the encoder writes it: absent (false) or its tag and 1 (true); anything else undefined. */
function readFlag(cursor: Cursor, end: number, tag: number): boolean | undefined {
  if (cursor.at >= end || !cursor.takeByte(tag)) return false;
  return cursor.takeByte(TRUE) ? true : undefined;
}

export function readPutLogRequest(data: Uint8Array): LogRequest | undefined {
  const cursor = new Cursor(data);
  let id = 0n;
  if (cursor.takeByte(ID_TAG)) {
    const read = cursor.uint64();
    if (read === undefined) return undefined;
    id = read;
  }
  if (!cursor.takeByte(PUT_TAG)) return undefined;
  const putLength = cursor.length();
  if (putLength < 0 || cursor.at + putLength > data.length) return undefined;
  const put = readPut(cursor, cursor.at + putLength);
  if (put === undefined) return undefined;
  let authRevision = 0n;
  if (cursor.takeByte(AUTH_REVISION_TAG[0])) {
    const read = cursor.takeByte(AUTH_REVISION_TAG[1]) ? cursor.uint64() : undefined;
    if (read === undefined) return undefined;
    authRevision = read;
  }
  let fromServer = false;
  if (cursor.takeByte(FROM_SERVER_TAG[0])) {
    if (!cursor.takeByte(FROM_SERVER_TAG[1]) || !cursor.takeByte(TRUE)) return undefined;
    fromServer = true;
  }
  if (!cursor.done) return undefined;
  return { id, op: { $case: 'put', value: put }, username: '', authRevision, fromServer };
}
