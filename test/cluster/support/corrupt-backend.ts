// Test-only damage: rewrites the value of a key's newest record in a stopped member's
// backend, the way a bad disk or a bug would, so corruption checks have something to find.
import { join } from 'node:path';
import { LmdbBackend } from '../../../src/backend/lmdb-backend.js';
import { KeyValue } from '../../../src/generated/mvccpb/kv.js';

/** Returns the revision whose record was rewritten; throws if the key has no record. */
export async function rewriteNewestValue(dataDir: string, key: string, value: string): Promise<bigint> {
  const backend = LmdbBackend.open(join(dataDir, 'member', 'snap', 'db'));
  try {
    const records = backend.range('key', Buffer.alloc(0), undefined, 0);
    for (let i = records.length - 1; i >= 0; i--) {
      const record = records[i];
      if (record === undefined) continue;
      const kv = KeyValue.decode(record.value);
      if (Buffer.from(kv.key).toString('utf8') !== key) continue;
      backend.put('key', record.key, Buffer.from(KeyValue.encode({ ...kv, value: Buffer.from(value) }).finish()));
      await backend.commit();
      return kv.modRevision;
    }
    throw new Error(`no record of ${key} in ${dataDir}`);
  } finally {
    await backend.close();
  }
}
