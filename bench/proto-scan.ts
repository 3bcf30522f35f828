// Reads the few fields the streaming loads need (revisions, lease ids, event values) straight
// from protobuf bytes, so the generator does not pay for decoding whole watch responses.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;
/** A varint has at most 10 bytes; more means the bytes are not protobuf. */
const VARINT_BYTES_MAX = 10;

/** One field seen by scanFields: number, wire type and where its value lies. */
export interface FieldView {
  field: number;
  wire: number;
  /** Varint fields: the value (exact below 2^53); bytes fields: 0. */
  value: number;
  start: number;
  end: number;
}

export class ProtoScanError extends Error {}

/** Reads a varint at `pos`; returns [value as a Number, next position]. */
export function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < VARINT_BYTES_MAX; i += 1) {
    const byte = buf[pos + i];
    if (byte === undefined) throw new ProtoScanError('truncated varint');
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos + i + 1];
    scale *= 128;
  }
  throw new ProtoScanError('varint longer than 10 bytes');
}

/** Reads a varint exactly, for 64-bit ids such as lease ids. */
export function readVarintBig(buf: Uint8Array, pos: number): bigint {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < VARINT_BYTES_MAX; i += 1) {
    const byte = buf[pos + i];
    if (byte === undefined) throw new ProtoScanError('truncated varint');
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return BigInt.asIntN(64, value);
    shift += 7n;
  }
  throw new ProtoScanError('varint longer than 10 bytes');
}

/** Calls `visit` for each top-level field of one message in buf[start, end). */
export function scanFields(buf: Uint8Array, start: number, end: number, visit: (f: FieldView) => void): void {
  let pos = start;
  const view: FieldView = { field: 0, wire: 0, value: 0, start: 0, end: 0 };
  while (pos < end) {
    const [tag, afterTag] = readVarint(buf, pos);
    view.field = Math.floor(tag / 8);
    view.wire = tag & 7;
    view.value = 0;
    switch (view.wire) {
      case WIRE_VARINT: {
        const [value, next] = readVarint(buf, afterTag);
        view.value = value;
        view.start = afterTag;
        view.end = next;
        break;
      }
      case WIRE_FIXED64:
        view.start = afterTag;
        view.end = afterTag + 8;
        break;
      case WIRE_FIXED32:
        view.start = afterTag;
        view.end = afterTag + 4;
        break;
      case WIRE_BYTES: {
        const [length, next] = readVarint(buf, afterTag);
        view.start = next;
        view.end = next + length;
        break;
      }
      default:
        throw new ProtoScanError(`unsupported wire type ${view.wire}`);
    }
    if (view.end > end) throw new ProtoScanError('field runs past the message');
    visit(view);
    pos = view.end;
  }
}

/** The fields of a message one level down (`field` of the top message), or undefined. */
function subMessage(buf: Uint8Array, start: number, end: number, field: number): [number, number] | undefined {
  let found: [number, number] | undefined;
  scanFields(buf, start, end, (f) => {
    if (f.field === field && f.wire === WIRE_BYTES) found = [f.start, f.end];
  });
  return found;
}

/** ResponseHeader.revision (field 3) inside any response whose header is field 1. */
export function headerRevision(buf: Uint8Array): number {
  const header = subMessage(buf, 0, buf.length, 1);
  if (!header) return 0;
  let revision = 0;
  scanFields(buf, header[0], header[1], (f) => {
    if (f.field === 3 && f.wire === WIRE_VARINT) revision = f.value;
  });
  return revision;
}

/** LeaseGrantResponse and LeaseKeepAliveResponse: ID (field 2) and TTL (field 3; keep-alive: 0 or less when the lease is gone). */
export function leaseReply(buf: Uint8Array): { id: bigint; ttl: number } {
  let id = 0n;
  let ttl = 0;
  scanFields(buf, 0, buf.length, (f) => {
    if (f.field === 2 && f.wire === WIRE_VARINT) id = readVarintBig(buf, f.start);
    else if (f.field === 3 && f.wire === WIRE_VARINT) ttl = Number(readVarintBig(buf, f.start));
  });
  return { id, ttl };
}

/** What a watch load needs from one WatchResponse. */
export interface WatchReplyView {
  watchId: number;
  created: boolean;
  canceled: boolean;
  /** One entry per event: its kv's mod_revision and where its value lies in the buffer. */
  events: Array<{ modRevision: number; valueStart: number; valueEnd: number }>;
}

function eventOf(buf: Uint8Array, start: number, end: number): WatchReplyView['events'][number] | undefined {
  const kv = subMessage(buf, start, end, 2);
  if (!kv) return undefined;
  const event = { modRevision: 0, valueStart: 0, valueEnd: 0 };
  scanFields(buf, kv[0], kv[1], (f) => {
    if (f.field === 3 && f.wire === WIRE_VARINT) event.modRevision = f.value;
    else if (f.field === 5 && f.wire === WIRE_BYTES) (event.valueStart = f.start), (event.valueEnd = f.end);
  });
  return event;
}

/** WatchResponse: watch_id 2, created 3, canceled 4, events 11 (Event: kv 2; KeyValue: mod_revision 3, value 5). */
export function watchReply(buf: Uint8Array): WatchReplyView {
  const view: WatchReplyView = { watchId: 0, created: false, canceled: false, events: [] };
  scanFields(buf, 0, buf.length, (f) => {
    if (f.field === 2 && f.wire === WIRE_VARINT) view.watchId = f.value;
    else if (f.field === 3 && f.wire === WIRE_VARINT) view.created = f.value !== 0;
    else if (f.field === 4 && f.wire === WIRE_VARINT) view.canceled = f.value !== 0;
    else if (f.field === 11 && f.wire === WIRE_BYTES) {
      const event = eventOf(buf, f.start, f.end);
      if (event) view.events.push(event);
    }
  });
  return view;
}
