// Maintenance.Snapshot's response serializer. Each message carries a block (1 MiB)
// of the file: the generated encoder would copy the blob three times (into its
// writer, into one array, then Buffer.from). This one encodes the header and
// remaining_bytes with the generated code and writes them, with the blob's tag and
// length, into the room the snapshot left right before the blob, so the blob is not
// copied at all; any other blob is copied once, behind them. grpc-js frames the
// result (one copy, its own).
import { SnapshotResponse } from '../../generated/etcdserverpb/rpc.js';
import { blobHeadroomBytes } from '../../snapshot/etcd-format/etcd-snapshot-chunks.js';
import { varintBytes, writeVarint } from '../../util/proto-field-writer.js';

/** SnapshotResponse field 3 (blob), wire type 2 (length-delimited). */
const BLOB_TAG = (3 << 3) | 2;
const NO_BYTES = Buffer.alloc(0);

/** The wire bytes of `response`, fields in the generated order (header, remaining_bytes, blob). */
export function serializeSnapshotResponse(response: SnapshotResponse): Buffer {
  const blob = response.blob;
  // An empty blob is not sent at all (proto3 default): the generated encoder knows that.
  if (blob.length === 0) return Buffer.from(SnapshotResponse.encode(response).finish());
  const head = SnapshotResponse.encode({ header: response.header, remainingBytes: response.remainingBytes, blob: NO_BYTES }).finish();
  const prefixBytes = head.length + 1 + varintBytes(blob.length);
  if (prefixBytes <= blobHeadroomBytes(blob)) {
    const message = Buffer.from(blob.buffer, blob.byteOffset - prefixBytes, prefixBytes + blob.length);
    writePrefix(message, head, blob.length);
    return message;
  }
  const out = Buffer.allocUnsafe(prefixBytes + blob.length);
  out.set(blob, writePrefix(out, head, blob.length));
  return out;
}

/** Writes the leading fields and the blob's tag and length at the start of `out`; returns where the blob goes. */
function writePrefix(out: Buffer, head: Uint8Array, blobBytes: number): number {
  out.set(head, 0);
  out[head.length] = BLOB_TAG;
  return writeVarint(out, head.length + 1, blobBytes);
}

