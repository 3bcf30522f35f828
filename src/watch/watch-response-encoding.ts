// The Watch stream's response encoder: one write fans out to many watchers, so each event
// (and each burst's shared header) is encoded once and its bytes are reused by every
// response that carries it, instead of re-encoding the same key and value per watcher.
// Events and headers are never changed after they are handed to the streams.
import { ResponseHeader, WatchResponse } from '../generated/etcdserverpb/rpc.js';
import { Event } from '../generated/mvccpb/kv.js';
import { delimitedFieldBytes, writeDelimited } from '../util/proto-field-writer.js';

/** WatchResponse.header is field 1, events field 11, both length-delimited. */
const HEADER_TAG = (1 << 3) | 2;
const EVENT_TAG = (11 << 3) | 2;

const encodedEvents = new WeakMap<Event, Uint8Array>();
const encodedHeaders = new WeakMap<ResponseHeader, Uint8Array>();

function cached<T extends object>(cache: WeakMap<T, Uint8Array>, value: T, encode: (value: T) => Uint8Array): Uint8Array {
  let bytes = cache.get(value);
  if (bytes === undefined) {
    bytes = encode(value);
    cache.set(value, bytes);
  }
  return bytes;
}

/** Both fields written here (header, event) have one-byte tags. */
const fieldBytes = (bytes: Uint8Array): number => delimitedFieldBytes(1, bytes.length);

/** WatchResponse.watch_id is field 2, a varint. */
const WATCH_ID_TAG = 2 << 3;
const NO_FIELDS = new Uint8Array(0);

/**
 * Fields 2-7 (watch id, flags, compact revision, reason), which differ per watcher. An event
 * response normally carries only its watch id, written here directly; anything else goes
 * through the generated encoder.
 */
function middleFields(response: WatchResponse): Uint8Array {
  const { watchId } = response;
  const onlyId = !response.created && !response.canceled && response.compactRevision === 0n && response.cancelReason === '' && !response.fragment;
  if (!onlyId || watchId < 0n || watchId > BigInt(Number.MAX_SAFE_INTEGER)) {
    return WatchResponse.encode({ ...response, header: undefined, events: [] }).finish();
  }
  if (watchId === 0n) return NO_FIELDS;
  let value = Number(watchId);
  const out = Buffer.allocUnsafe(1 + 8);
  out[0] = WATCH_ID_TAG;
  let pos = 1;
  while (value >= 0x80) {
    out[pos++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[pos++] = value;
  return out.subarray(0, pos);
}

/** Byte for byte what WatchResponse.encode writes (same field order), with events and header reused. */
export function serializeWatchResponse(response: WatchResponse): Buffer {
  if (response.events.length === 0) return Buffer.from(WatchResponse.encode(response).finish());
  const header = response.header === undefined ? undefined : cached(encodedHeaders, response.header, (h) => ResponseHeader.encode(h).finish());
  const middle = middleFields(response);
  const events = response.events.map((event) => cached(encodedEvents, event, (e) => Event.encode(e).finish()));
  let total = middle.length + (header === undefined ? 0 : fieldBytes(header));
  for (const event of events) total += fieldBytes(event);
  const out = Buffer.allocUnsafe(total);
  let pos = header === undefined ? 0 : writeDelimited(out, 0, HEADER_TAG, header);
  out.set(middle, pos);
  pos += middle.length;
  for (const event of events) pos = writeDelimited(out, pos, EVENT_TAG, event);
  return out;
}
