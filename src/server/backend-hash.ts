// Maintenance.Hash: a CRC-32C over every bucket (in name order), its keys and
// values, as etcd hashes its backend; the applied index (and etcd-ts's own
// bookkeeping keys) are left out so members with the same data agree.
import { BUCKET_NAMES, type Backend } from '../backend/backend.js';
import { bucketSlices } from '../backend/bucket-slices.js';
import { crc32cUpdate } from '../mvcc/crc32c.js';

const IGNORED_META_KEYS = new Set(['consistent_index', 'term']);
const OWN_META_PREFIX = 'etcd-ts:';

function ignored(bucket: string, key: Buffer): boolean {
  if (bucket !== 'meta') return false;
  const text = key.toString('latin1');
  return IGNORED_META_KEYS.has(text) || text.startsWith(OWN_META_PREFIX);
}

export async function backendHash(backend: Backend): Promise<number> {
  let hash = 0;
  for (const bucket of [...BUCKET_NAMES].sort()) {
    hash = crc32cUpdate(hash, Buffer.from(bucket));
    for (const slice of bucketSlices(backend, bucket)) {
      for (const entry of slice) {
        if (ignored(bucket, entry.key)) continue;
        hash = crc32cUpdate(hash, entry.key);
        hash = crc32cUpdate(hash, entry.value);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return hash;
}
