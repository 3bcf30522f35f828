// The snapshot file format etcd uses on the wire and on disk: the database bytes
// followed by their sha256 (32 bytes). Reading checks the digest before anything
// is trusted.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';

export const SHA256_BYTES = 32;
/** Snapshot chunks on the wire, as etcd sends them. */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;
/** Bytes hashed per read when checking a file's digest: few syscalls for a large file. */
const DIGEST_READ_BYTES = 1024 * 1024;
/** Database files are whole pages; a size that is not is a truncated or foreign file. */
export const DB_PAGE_BYTES = 512;

export class SnapshotFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFileError';
  }
}

export interface SnapshotLayout {
  readonly totalBytes: number;
  /** Bytes of database before the digest. */
  readonly dbBytes: number;
  readonly hasDigest: boolean;
}

/** etcd's rule: a file whose size is whole pages plus 32 bytes carries a digest. */
export async function snapshotLayout(path: string): Promise<SnapshotLayout> {
  const size = (await stat(path)).size;
  const hasDigest = size % DB_PAGE_BYTES === SHA256_BYTES;
  if (!hasDigest && size % DB_PAGE_BYTES !== 0) {
    throw new SnapshotFileError(`snapshot file ${path} has ${size} bytes: not a database file (truncated?)`);
  }
  if (size < DB_PAGE_BYTES) throw new SnapshotFileError(`snapshot file ${path} is too small (${size} bytes)`);
  return { totalBytes: size, dbBytes: hasDigest ? size - SHA256_BYTES : size, hasDigest };
}

/** Verifies the trailing sha256 (if present) and returns the layout; throws SnapshotFileError on mismatch. */
export async function verifySnapshotDigest(path: string, skipHashCheck: boolean): Promise<SnapshotLayout> {
  const layout = await snapshotLayout(path);
  if (!layout.hasDigest) {
    if (skipHashCheck) return layout;
    throw new SnapshotFileError(`snapshot file ${path} has no sha256 digest (use --skip-hash-check to restore a copied db file)`);
  }
  const file = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(DIGEST_READ_BYTES);
    let offset = 0;
    while (offset < layout.dbBytes) {
      const want = Math.min(chunk.length, layout.dbBytes - offset);
      const { bytesRead } = await file.read(chunk, 0, want, offset);
      if (bytesRead === 0) throw new SnapshotFileError(`snapshot file ${path} ended early at ${offset}`);
      hash.update(chunk.subarray(0, bytesRead));
      offset += bytesRead;
    }
    const expected = Buffer.alloc(SHA256_BYTES);
    await file.read(expected, 0, SHA256_BYTES, layout.dbBytes);
    if (!hash.digest().equals(expected)) {
      throw new SnapshotFileError(`snapshot file ${path}: sha256 mismatch (the file is corrupt)`);
    }
    return layout;
  } finally {
    await file.close();
  }
}
