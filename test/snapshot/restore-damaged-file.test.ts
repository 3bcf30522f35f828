// `snapshot restore` of damaged etcd (bbolt) snapshots read from disk: truncated
// files and files with damaged page structure are refused with a clear error, and
// a refused restore leaves no data dir behind, so it can simply be run again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import { BboltFormatError } from '../../src/bbolt/bbolt-format.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { EtcdSnapshotError } from '../../src/snapshot/etcd-format/etcd-snapshot-error.js';
import { exportEtcdSnapshot } from '../../src/snapshot/etcd-format/export-etcd-snapshot.js';
import { restoreSnapshot } from '../../src/snapshot/restore.js';
import { SnapshotFileError } from '../../src/snapshot/snapshot-file.js';
import { seededRandom } from '../../src/util/seeded-random.js';

const KEYS = 3000;
const PAGE = 4096;
const DAMAGED_FILES = 25;

async function writeSnapshot(path: string): Promise<void> {
  const backend = MemoryBackend.open();
  const store = MvccStore.open(backend);
  const txn = store.write();
  for (let i = 0; i < KEYS; i++) txn.put(Buffer.from(`key/${String(i).padStart(5, '0')}`), Buffer.alloc(100, i & 0xff), 0n);
  txn.end();
  await store.commit();
  await exportEtcdSnapshot(backend, path, { digest: false });
  await store.close();
  await backend.close();
}

function isClearRefusal(error: unknown): boolean {
  return error instanceof BboltFormatError || error instanceof EtcdSnapshotError || error instanceof SnapshotFileError;
}

test('damaged and truncated snapshot files are refused and leave no data dir', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-restore-damaged-'));
  try {
    const pristinePath = join(dir, 'pristine.db');
    await writeSnapshot(pristinePath);
    const pristine = await readFile(pristinePath);
    const random = seededRandom(4242);
    let refused = 0;
    for (let i = 0; i < DAMAGED_FILES; i++) {
      const bytes = Buffer.from(pristine);
      // Damage page headers and element tables (where structure lives), or truncate.
      const truncate = i % 5 === 0;
      const file = truncate ? bytes.subarray(0, random.int(1, bytes.length / PAGE - 1) * PAGE) : bytes;
      if (!truncate) for (let h = 0; h < 4; h++) file[random.int(2, file.length / PAGE - 1) * PAGE + random.int(0, 63)] = random.int(0, 255);
      const path = join(dir, `damaged-${i}.db`);
      await writeFile(path, file);
      const dataDir = join(dir, `restored-${i}`);
      try {
        await restoreSnapshot({ snapshotPath: path, dataDir, walDir: null, skipHashCheck: true });
      } catch (error) {
        assert.ok(isClearRefusal(error), `file ${i}: ${String(error)}`);
        assert.equal(existsSync(dataDir), false, `file ${i}: a refused restore left ${dataDir}`);
        refused++;
      }
    }
    assert.ok(refused >= DAMAGED_FILES / 2, `only ${refused} of ${DAMAGED_FILES} refused`);
    // The undamaged file restores.
    const result = await restoreSnapshot({ snapshotPath: pristinePath, dataDir: join(dir, 'ok'), walDir: null, skipHashCheck: true });
    assert.equal(result.revision, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
