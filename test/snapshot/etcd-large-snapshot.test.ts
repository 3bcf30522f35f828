// A 100,000-key snapshot made by real etcd: our reader agrees with bbolt on every
// byte (etcdctl's status hash), the import keeps every revision, and the export is
// accepted by etcdctl; the times are printed for the record.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { LmdbBackend } from '../../src/backend/lmdb-backend.js';
import { BboltReader } from '../../src/bbolt/bbolt-reader.js';
import { KeyValue } from '../../src/generated/mvccpb/kv.js';
import { etcdSnapshotStatus } from '../../src/snapshot/etcd-format/etcd-snapshot-status.js';
import { exportEtcdSnapshot } from '../../src/snapshot/etcd-format/export-etcd-snapshot.js';
import { importEtcdSnapshot } from '../../src/snapshot/etcd-format/import-etcd-snapshot.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { restoreIntoEtcd, snapshotSave, snapshotStatus } from './etcd-snapshot-helpers.js';
import { etcdctlOk } from '../support/etcdctl.js';

/** ETCD_TS_LARGE_SNAPSHOT_KEYS raises it for a one-off run (1,000,000 was run by hand). */
const KEY_COUNT = Number(process.env['ETCD_TS_LARGE_SNAPSHOT_KEYS'] ?? 100_000);
/** Puts per txn: one revision each, so loading takes a thousand requests, not a hundred thousand. */
const PUTS_PER_TXN = 100;
const TXNS_IN_FLIGHT = 8;
const TEST_TIMEOUT_MS = 240_000 * Math.max(1, KEY_COUNT / 100_000);

let dir: string;
let server: ServerProcess | undefined;
let restored: ServerProcess | undefined;
let client: Etcd3 | undefined;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etcd-large-snapshot-'));
  server = await startServer({ target: 'etcd', name: 'large' });
  client = new Etcd3({ hosts: server.clientUrl, dialTimeout: 5_000 });
});
after(async () => {
  client?.close();
  await restored?.stop();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const keyOf = (i: number): string => `large/${String(i).padStart(6, '0')}`;
const valueOf = (i: number): string => `value-${i}-${'x'.repeat(i % 50)}`;

async function load(etcd: Etcd3): Promise<void> {
  const txns = KEY_COUNT / PUTS_PER_TXN;
  let next = 0;
  const worker = async (): Promise<void> => {
    // Each worker takes the next txn number until none are left.
    while (next < txns) {
      const first = next++ * PUTS_PER_TXN;
      const success = Array.from({ length: PUTS_PER_TXN }, (_, j) => ({
        request_put: { key: Buffer.from(keyOf(first + j)), value: Buffer.from(valueOf(first + j)) },
      }));
      await etcd.kv.txn({ success });
    }
  };
  await Promise.all(Array.from({ length: TXNS_IN_FLIGHT }, worker));
}

test(`a ${KEY_COUNT}-key snapshot from real etcd reads, imports and exports`, { timeout: TEST_TIMEOUT_MS }, async () => {
  await load(client!);
  const savedPath = join(dir, 'large.db');
  await snapshotSave(server!.endpoint, savedPath);

  let started = performance.now();
  const reader = BboltReader.open(savedPath);
  const values = new Map<string, string>();
  for (const [, record] of reader.entries('key')) {
    const kv = KeyValue.decode(record);
    values.set(Buffer.from(kv.key).toString(), Buffer.from(kv.value).toString());
  }
  const readMs = performance.now() - started;
  assert.deepEqual(etcdSnapshotStatus(reader), await snapshotStatus(savedPath));
  reader.close();
  assert.equal(values.size, KEY_COUNT);
  for (let i = 0; i < KEY_COUNT; i++) assert.equal(values.get(keyOf(i)), valueOf(i));

  const backend = LmdbBackend.open(join(dir, 'imported.lmdb'));
  try {
    started = performance.now();
    const summary = await importEtcdSnapshot(savedPath, backend);
    const importMs = performance.now() - started;
    assert.equal(summary.keysByBucket.get('key'), KEY_COUNT);
    started = performance.now();
    const exportedPath = join(dir, 'exported.db');
    await exportEtcdSnapshot(backend, exportedPath);
    const exportMs = performance.now() - started;
    const [ours, theirs] = [await snapshotStatus(exportedPath), await snapshotStatus(savedPath)];
    assert.deepEqual({ ...ours, totalSize: 0 }, { ...theirs, totalSize: 0 });
    await expectServedByEtcd(exportedPath, theirs.revision);
    const ms = (n: number): string => `${Math.round(n)} ms`;
    const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
    console.log(`# ${KEY_COUNT} keys: read ${ms(readMs)}, import ${ms(importMs)}, export ${ms(exportMs)}; etcd db ${theirs.totalSize} bytes, ours ${ours.totalSize}; rss ${rssMiB} MiB`);
  } finally {
    await backend.close();
  }
});

/** Real etcd restored from our export serves every key, at the same revision. */
async function expectServedByEtcd(exportedPath: string, revision: number): Promise<void> {
  restored = await restoreIntoEtcd(exportedPath, join(dir, 'restored.etcd'));
  const restoredClient = new Etcd3({ hosts: restored.clientUrl, dialTimeout: 5_000 });
  try {
    assert.equal(await restoredClient.getAll().prefix('large/').count(), KEY_COUNT);
    const response = await restoredClient.get(keyOf(0)).exec();
    assert.equal(Number(response.header.revision), revision);
  } finally {
    restoredClient.close();
  }
  for (const i of [0, 1, KEY_COUNT / 2, KEY_COUNT - 1]) {
    assert.equal(await etcdctlOk(restored.endpoint, ['get', keyOf(i), '--print-value-only']), `${valueOf(i)}\n`);
  }
}
