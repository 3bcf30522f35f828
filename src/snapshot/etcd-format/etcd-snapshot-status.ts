// What `etcdctl snapshot status` reports for a bbolt snapshot, computed the same way:
// crc32c over every bucket name, key and value, the main revision of the last key
// in `key`, the number of entries in all buckets, and the size of the db in pages.
import type { BboltReader } from '../../bbolt/bbolt-reader.js';
import { BboltFormatError } from '../../bbolt/bbolt-format.js';
import { crc32cUpdate } from '../../mvcc/crc32c.js';
import { parseRevisionMain, REVISION_BYTES } from '../../mvcc/revision.js';

export interface EtcdSnapshotStatus {
  readonly hash: number;
  readonly revision: number;
  readonly totalKey: number;
  readonly totalSize: number;
}

export function etcdSnapshotStatus(reader: BboltReader): EtcdSnapshotStatus {
  let hash = 0;
  let revision = 0;
  let totalKey = 0;
  for (const bucket of reader.buckets()) {
    hash = crc32cUpdate(hash, Buffer.from(bucket, 'utf8'));
    const isKeyBucket = bucket === 'key';
    for (const item of reader.items(bucket)) {
      hash = crc32cUpdate(hash, item.key);
      // etcd hashes a nested bucket's key with a nil value.
      if (!item.isBucket) hash = crc32cUpdate(hash, item.value);
      if (isKeyBucket) {
        if (item.key.length < REVISION_BYTES) throw new BboltFormatError(`key bucket holds a ${item.key.length}-byte key, not a revision`);
        revision = parseRevisionMain(item.key);
      }
      totalKey++;
    }
  }
  return { hash, revision, totalKey, totalSize: reader.pageCount * reader.pageBytes };
}
