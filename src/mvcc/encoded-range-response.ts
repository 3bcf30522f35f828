// A RangeResponse whose keys are still the stored mvccpb.KeyValue records. Its
// gRPC encoder copies the packed records into the reply as they are (RangeResponse
// field 2 is a repeated KeyValue, and a stored record is one KeyValue's encoding),
// so a large range skips a decode and a re-encode per key; code that reads `kvs`
// in-process gets them decoded on first access, as from any RangeResponse.
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { RangeResponse } from '../generated/etcdserverpb/rpc.js';
import type { KeyValue } from '../generated/mvccpb/kv.js';
import type { PackedRecords } from './packed-records.js';

/** A reply as buffers to write one after another, and what to call once they are written. */
export interface ReplyParts {
  readonly parts: readonly Uint8Array[];
  /** Their total length. */
  readonly bytes: number;
  /** The parts were written out (or copied): their memory may be reused. Call at most once. */
  readonly sent: () => void;
}

const NOTHING_TO_RELEASE = (): void => undefined;
/**
 * Smaller replies come whole from serializeRangeResponse: a transport copies
 * them into its frame anyway, and one buffer costs less than parts.
 */
const PARTS_BYTES_MIN = 16 * 1024;

/** Records of the responses whose kvs nobody has read or replaced yet. */
const pendingRecords = new WeakMap<RangeResponse, PackedRecords>();

/** A range response carrying `records` (stored KeyValue encodings, in key order) as its kvs. */
export function encodedRangeResponse(records: PackedRecords, more: boolean, count: bigint): RangeResponse {
  let decoded: KeyValue[] | undefined;
  const response: RangeResponse = {
    header: undefined,
    get kvs(): KeyValue[] {
      if (decoded === undefined) {
        decoded = records.decode();
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
  const { head, tail } = otherFields(response);
  const out = Buffer.allocUnsafe(head.length + records.byteLength + tail.length);
  out.set(head, 0);
  const offset = records.copyTo(out, head.length);
  out.set(tail, offset);
  return out;
}

/**
 * serializeRangeResponse's bytes as parts: the packed records are not copied
 * again, and once sent their chunks serve later ranges. After `sent` the
 * response's records are gone: it must not be read again.
 */
export function rangeResponseParts(response: RangeResponse): ReplyParts {
  const records = pendingRecords.get(response);
  if (records === undefined || records.byteLength < PARTS_BYTES_MIN) {
    const whole = serializeRangeResponse(response);
    // Copied: the chunks may serve the next range at once.
    if (records !== undefined) release(response, records);
    return { parts: [whole], bytes: whole.length, sent: NOTHING_TO_RELEASE };
  }
  const { head, tail } = otherFields(response);
  const parts = [head, ...records.views(), tail];
  return { parts, bytes: head.length + records.byteLength + tail.length, sent: () => release(response, records) };
}

function release(response: RangeResponse, records: PackedRecords): void {
  pendingRecords.delete(response);
  records.release();
}

/** Offered to transports that write a reply in parts (see src/api/h2server/grpc-method.ts). */
serializeRangeResponse.inParts = rangeResponseParts;

/**
 * Encodes the fields around kvs; one writer serves every reply, so its buffer is
 * allocated once instead of twice per range (encoding is synchronous).
 */
const fieldWriter = new BinaryWriter();

/** The encodings of the fields before and after kvs; the generated encoder writes them, with its checks. */
function otherFields(response: RangeResponse): { head: Uint8Array; tail: Uint8Array } {
  try {
    const head = RangeResponse.encode({ header: response.header, kvs: [], more: false, count: 0n }, fieldWriter).finish();
    const tail = RangeResponse.encode({ header: undefined, kvs: [], more: response.more, count: response.count }, fieldWriter).finish();
    return { head, tail };
  } catch (error) {
    // A field the encoder refused leaves its bytes in the writer: drop them.
    fieldWriter.finish();
    throw error;
  }
}
