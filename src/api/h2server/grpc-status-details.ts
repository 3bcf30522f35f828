// Whether a grpc-status-details-bin value (once base64-decoded) is a google.rpc.Status that
// the Go protobuf under etcd 3.4 (golang/protobuf 1.3) unmarshals: field number 0 is refused,
// valid UTF-8 is required in the proto3 strings it knows (the message, each detail's type
// URL), a known field sent with another wire type is skipped as unknown, and an unknown
// group ends at the first unpaired end-group tag, whatever its number.
import { validGoUtf8 } from './go-utf8.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;
const FIXED64_BYTES = 8;
const FIXED32_BYTES = 4;
const VARINT_BYTES_MAX = 10;
/** The 10th byte of a varint may only carry the 64th bit. */
const VARINT_LAST_BYTE_LIMIT = 2;
/** Nested details are walked this deep at most (a Status holds Anys, which hold bytes). */
const NESTING_DEPTH_MAX = 8;

/** Which field numbers of a message hold UTF-8 text, and which hold a message to walk. */
interface Shape {
  readonly strings: ReadonlySet<number>;
  readonly messages: ReadonlyMap<number, Shape>;
}

const ANY_SHAPE: Shape = { strings: new Set([1]), messages: new Map() };
const STATUS_SHAPE: Shape = { strings: new Set([2]), messages: new Map([[3, ANY_SHAPE]]) };

/** A varint at `at` and where it ends, or null when it is cut short or too long. */
function varint(data: Uint8Array, at: number, end: number): { readonly value: bigint; readonly end: number } | null {
  let value = 0n;
  for (let index = 0; index < VARINT_BYTES_MAX && at + index < end; index++) {
    const byte = data[at + index] ?? 0;
    if (index === VARINT_BYTES_MAX - 1 && byte >= VARINT_LAST_BYTE_LIMIT) return null;
    value |= BigInt(byte & 0x7f) << BigInt(7 * index);
    if ((byte & 0x80) === 0) return { value, end: at + index + 1 };
  }
  return null;
}

/** Where a length-delimited value at `at` ends, with where its content starts; null when cut short. */
function delimited(data: Uint8Array, at: number, end: number): { readonly start: number; readonly end: number } | null {
  const length = varint(data, at, end);
  if (length === null || length.value > BigInt(end - length.end)) return null;
  return { start: length.end, end: length.end + Number(length.value) };
}

/** Skips one value of an unknown field; returns where it ends, or null. */
function skip(data: Uint8Array, at: number, end: number, wire: number): number | null {
  switch (wire) {
    case WIRE_VARINT: return varint(data, at, end)?.end ?? null;
    case WIRE_FIXED64: return at + FIXED64_BYTES <= end ? at + FIXED64_BYTES : null;
    case WIRE_FIXED32: return at + FIXED32_BYTES <= end ? at + FIXED32_BYTES : null;
    case WIRE_BYTES: return delimited(data, at, end)?.end ?? null;
    case WIRE_START_GROUP: return groupEnd(data, at, end);
    default: return null;
  }
}

/** The end of a group's first unpaired end-group tag; null when there is none. */
function groupEnd(data: Uint8Array, at: number, end: number): number | null {
  let depth = 1;
  let position = at;
  // Each pass consumes a tag of at least one byte.
  while (position < end) {
    const key = varint(data, position, end);
    if (key === null) return null;
    const wire = Number(key.value & 7n);
    position = key.end;
    if (wire === WIRE_START_GROUP) depth += 1;
    else if (wire === WIRE_END_GROUP) {
      depth -= 1;
      if (depth === 0) return position;
    } else {
      const next = skip(data, position, end, wire);
      if (next === null) return null;
      position = next;
    }
  }
  return null;
}

function validMessage(data: Uint8Array, at: number, end: number, shape: Shape, depth: number): boolean {
  if (depth > NESTING_DEPTH_MAX) return false;
  let position = at;
  // Each pass consumes one field of at least one byte.
  while (position < end) {
    const key = varint(data, position, end);
    if (key === null) return false;
    const number = key.value >> 3n;
    const wire = Number(key.value & 7n);
    if (number === 0n) return false;
    position = key.end;
    const nested = wire === WIRE_BYTES && number < 64n ? shape.messages.get(Number(number)) : undefined;
    const text = wire === WIRE_BYTES && number < 64n && shape.strings.has(Number(number));
    if (nested === undefined && !text) {
      const next = skip(data, position, end, wire);
      if (next === null) return false;
      position = next;
      continue;
    }
    const value = delimited(data, position, end);
    if (value === null) return false;
    if (text && !validGoUtf8(data.subarray(value.start, value.end))) return false;
    if (nested !== undefined && !validMessage(data, value.start, value.end, nested, depth + 1)) return false;
    position = value.end;
  }
  return true;
}

export function validStatusDetails(bytes: Uint8Array): boolean {
  return validMessage(bytes, 0, bytes.length, STATUS_SHAPE, 0);
}
