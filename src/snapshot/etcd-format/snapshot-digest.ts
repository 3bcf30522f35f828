// The sha256 that follows the db bytes in a snapshot file and on the wire, for
// files we write and for snapshots received as bytes.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { SHA256_BYTES } from '../snapshot-file.js';
import { EtcdSnapshotError } from './etcd-snapshot-error.js';

/** bbolt files are whole pages of at least this size, so a 32-byte remainder is the digest. */
const DB_SIZE_UNIT_BYTES = 512;

export async function sha256OfFile(path: string): Promise<Buffer> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest();
}

/** Turns a db file into a snapshot file, as `etcdctl snapshot save` leaves it. */
export async function appendSnapshotDigest(path: string): Promise<Buffer> {
  const digest = await sha256OfFile(path);
  await appendFile(path, digest);
  return digest;
}

/** The db part of snapshot bytes; checks the digest when there is one, and demands one unless told not to. */
export function snapshotDbBytes(bytes: Uint8Array, skipHashCheck: boolean): Uint8Array {
  const hasDigest = bytes.length % DB_SIZE_UNIT_BYTES === SHA256_BYTES;
  if (!hasDigest) {
    if (skipHashCheck) return bytes;
    throw new EtcdSnapshotError('snapshot has no sha256 digest (skip the hash check to load a copied db file)');
  }
  const db = bytes.subarray(0, bytes.length - SHA256_BYTES);
  const expected = Buffer.from(bytes.subarray(bytes.length - SHA256_BYTES));
  if (!skipHashCheck && !createHash('sha256').update(db).digest().equals(expected)) {
    throw new EtcdSnapshotError('snapshot sha256 mismatch (the snapshot is corrupt)');
  }
  return db;
}
