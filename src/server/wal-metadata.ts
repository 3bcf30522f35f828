// The metadata the WAL holds from its creation: which member and cluster it
// belongs to, so a restart never takes a member's log for another's.
import { readdir } from 'node:fs/promises';
import type { MemberId } from '../raft/types.js';

const WAL_METADATA_BYTES = 16;

export function encodeWalMetadata(memberId: MemberId, clusterId: bigint): Uint8Array {
  const bytes = Buffer.alloc(WAL_METADATA_BYTES);
  bytes.writeBigUInt64BE(memberId, 0);
  bytes.writeBigUInt64BE(clusterId, 8);
  return bytes;
}

export function decodeWalMetadata(bytes: Uint8Array): { memberId: MemberId; clusterId: bigint } {
  if (bytes.length !== WAL_METADATA_BYTES) {
    throw new Error(`WAL metadata has ${bytes.length} bytes, expected ${WAL_METADATA_BYTES}: not an etcd-ts WAL`);
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { memberId: buffer.readBigUInt64BE(0), clusterId: buffer.readBigUInt64BE(8) };
}

export async function walHasData(dir: string): Promise<boolean> {
  try {
    const names = await readdir(dir);
    return names.some((name) => name.endsWith('.wal'));
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return false;
    throw error;
  }
}
