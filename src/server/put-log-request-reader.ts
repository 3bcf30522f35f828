// The log entry the apply loop decodes most, a put, read back from the layout
// encodePutLogRequest writes: its fields in that order, each at most once. Each field
// is read with the same reader call the generated decoder makes, but the key and value
// are views on the entry's bytes (the raft log keeps them unchanged), where the
// generated decoder builds defaults and copies both. Anything else (another layout, a
// username, an unknown field, a truncated entry) returns undefined, and the caller
// decodes with LogRequest.decode, which also reports what is wrong.
import { BinaryReader } from '@bufbuild/protobuf/wire';
import type { PutRequest } from '../generated/etcdserverpb/rpc.js';
import type { LogRequest } from '../generated/internalpb/internal.js';
import {
  AUTH_REVISION_TAG,
  FROM_SERVER_TAG,
  ID_TAG,
  IGNORE_LEASE_TAG,
  IGNORE_VALUE_TAG,
  KEY_TAG,
  LEASE_TAG,
  PREV_KV_TAG,
  PUT_TAG,
  VALUE_TAG,
} from './log-request-bytes.js';

const EMPTY = Buffer.alloc(0);

/** Consumes the next tag if it is `tag` (and before `end`); otherwise leaves the reader where it was. */
function takeTag(reader: BinaryReader, end: number, tag: number): boolean {
  if (reader.pos >= end) return false;
  const at = reader.pos;
  if (reader.uint32() === tag) return true;
  reader.pos = at;
  return false;
}

/** A length-delimited field as a view on the entry's bytes. */
function view(reader: BinaryReader): Buffer {
  const bytes = reader.bytes();
  return bytes.length === 0 ? EMPTY : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function readPut(reader: BinaryReader, end: number): PutRequest | undefined {
  const put: PutRequest = {
    key: takeTag(reader, end, KEY_TAG) ? view(reader) : EMPTY,
    value: takeTag(reader, end, VALUE_TAG) ? view(reader) : EMPTY,
    lease: takeTag(reader, end, LEASE_TAG) ? BigInt(reader.int64()) : 0n,
    prevKv: takeTag(reader, end, PREV_KV_TAG) && reader.bool(),
    ignoreValue: takeTag(reader, end, IGNORE_VALUE_TAG) && reader.bool(),
    ignoreLease: takeTag(reader, end, IGNORE_LEASE_TAG) && reader.bool(),
  };
  return reader.pos === end ? put : undefined;
}

function read(reader: BinaryReader): LogRequest | undefined {
  const len = reader.len;
  const id = takeTag(reader, len, ID_TAG) ? BigInt(reader.uint64()) : 0n;
  if (!takeTag(reader, len, PUT_TAG)) return undefined;
  const putEnd = reader.uint32() + reader.pos;
  if (putEnd > len) return undefined;
  const put = readPut(reader, putEnd);
  if (put === undefined) return undefined;
  const authRevision = takeTag(reader, len, AUTH_REVISION_TAG) ? BigInt(reader.uint64()) : 0n;
  const fromServer = takeTag(reader, len, FROM_SERVER_TAG) && reader.bool();
  if (reader.pos !== len) return undefined;
  return { id, op: { $case: 'put', value: put }, username: '', authRevision, fromServer };
}

export function readPutLogRequest(data: Uint8Array): LogRequest | undefined {
  try {
    return read(new BinaryReader(data));
  } catch {
    // Truncated or malformed: LogRequest.decode says how.
    return undefined;
  }
}
