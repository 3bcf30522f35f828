// The lease bucket's record format: etcd keys each lease by its ID as 8 big-endian
// bytes and stores a leasepb.Lease{ID, TTL, RemainingTTL} message as the value.
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';

export interface LeaseRecord {
  readonly id: bigint;
  readonly ttlSeconds: bigint;
  /** The last checkpointed remaining TTL; 0 when none was checkpointed. */
  readonly remainingTtlSeconds: bigint;
}

const LEASE_KEY_BYTES = 8;

export function leaseKey(id: bigint): Buffer {
  const key = Buffer.alloc(LEASE_KEY_BYTES);
  key.writeBigInt64BE(id);
  return key;
}

export function encodeLeaseRecord(record: LeaseRecord): Buffer {
  const writer = new BinaryWriter();
  // proto3: zero-valued scalars are left out, as gogoproto does for etcd.
  if (record.id !== 0n) writer.uint32(8).int64(record.id);
  if (record.ttlSeconds !== 0n) writer.uint32(16).int64(record.ttlSeconds);
  if (record.remainingTtlSeconds !== 0n) writer.uint32(24).int64(record.remainingTtlSeconds);
  return Buffer.from(writer.finish());
}

/** Throws on bytes that are not a lease record: a damaged bucket is not something to guess about. */
export function decodeLeaseRecord(bytes: Uint8Array): LeaseRecord {
  const reader = new BinaryReader(bytes);
  let id = 0n;
  let ttlSeconds = 0n;
  let remainingTtlSeconds = 0n;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    switch (tag) {
      case 8:
        id = BigInt(reader.int64());
        break;
      case 16:
        ttlSeconds = BigInt(reader.int64());
        break;
      case 24:
        remainingTtlSeconds = BigInt(reader.int64());
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return { id, ttlSeconds, remainingTtlSeconds };
}
