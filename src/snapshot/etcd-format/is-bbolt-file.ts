// Tells an etcd (bbolt) snapshot from an etcd-ts (lmdb) one by the bbolt magic in
// meta page 0, so `snapshot restore` and `snapshot status` can take either.
import { open } from 'node:fs/promises';
import { BBOLT_MAGIC, META_MAGIC_OFFSET, PAGE_HEADER_BYTES } from '../../bbolt/bbolt-format.js';

const MAGIC_AT_BYTES = PAGE_HEADER_BYTES + META_MAGIC_OFFSET;

export function isBboltBytes(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC_AT_BYTES + 4) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(MAGIC_AT_BYTES) === BBOLT_MAGIC;
}

export async function isBboltFile(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC_AT_BYTES + 4);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return isBboltBytes(head.subarray(0, bytesRead));
  } finally {
    await file.close();
  }
}
