// Real etcd 3.4 -> etcd-ts -> real etcd: a snapshot saved by etcd is read with our
// bbolt reader and imported into an lmdb backend; the backend is exported as bbolt,
// which etcdctl checks and restores, and the restored etcd serves every key as the
// original did.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUCKET_NAMES } from '../../src/backend/backend.js';
import { LmdbBackend } from '../../src/backend/lmdb-backend.js';
import { BboltReader } from '../../src/bbolt/bbolt-reader.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { etcdSnapshotStatus } from '../../src/snapshot/etcd-format/etcd-snapshot-status.js';
import { exportEtcdSnapshot } from '../../src/snapshot/etcd-format/export-etcd-snapshot.js';
import { importEtcdSnapshot } from '../../src/snapshot/etcd-format/import-etcd-snapshot.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { readAllBuckets, restoreIntoEtcd, snapshotSave, snapshotStatus } from './etcd-snapshot-helpers.js';

const KEYS = 40;
const ROUNDS = 3;
const TEST_TIMEOUT_MS = 120_000;

let dir: string;
let original: ServerProcess | undefined;
let restored: ServerProcess | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etcd-bbolt-round-trip-'));
  original = await startServer({ target: 'etcd', name: 'compat' });
  await loadHistory(original.endpoint);
});

after(async () => {
  await restored?.stop();
  await original?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Several versions of each key, deletes, a compaction, a lease with keys, and auth users and roles. */
async function loadHistory(endpoint: string): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < KEYS; i++) await etcdctlOk(endpoint, ['put', `k/${i}`, `v${round}-${i}`]);
    if (round === 0) await etcdctlOk(endpoint, ['compact', String(KEYS / 2)]);
  }
  for (let i = 0; i < KEYS; i += 7) await etcdctlOk(endpoint, ['del', `k/${i}`]);
  const grant = await etcdctlOk(endpoint, ['lease', 'grant', '600']);
  const leaseId = /lease ([0-9a-f]+) granted/.exec(grant)?.[1];
  assert.ok(leaseId, grant);
  await etcdctlOk(endpoint, ['put', '--lease', leaseId, 'leased/a', 'with lease']);
  await etcdctlOk(endpoint, ['put', '--lease', leaseId, 'leased/b', 'with lease too']);
  await etcdctlOk(endpoint, ['user', 'add', 'root:rootpw']);
  await etcdctlOk(endpoint, ['user', 'add', 'alice:alicepw']);
  await etcdctlOk(endpoint, ['role', 'add', 'reader']);
  await etcdctlOk(endpoint, ['role', 'grant-permission', '--prefix=true', 'reader', 'read', 'k/']);
  await etcdctlOk(endpoint, ['user', 'grant-role', 'alice', 'reader']);
}

async function allKeysJson(endpoint: string): Promise<unknown> {
  const parsed = JSON.parse(await etcdctlOk(endpoint, ['get', '', '--prefix', '-w', 'json'])) as { header: { revision: number }; kvs: unknown[] };
  return { revision: parsed.header.revision, kvs: parsed.kvs };
}

/** `etcdctl endpoint hashkv`: etcd's hash of the whole key history. */
async function hashKv(endpoint: string): Promise<number> {
  const parsed = JSON.parse(await etcdctlOk(endpoint, ['endpoint', 'hashkv', '-w', 'json'])) as { HashKV: { hash: number } }[];
  const hash = parsed[0]?.HashKV.hash;
  assert.equal(typeof hash, 'number');
  return hash as number;
}

describe('a snapshot from real etcd', { timeout: TEST_TIMEOUT_MS }, () => {
  test('goes through our reader, an lmdb backend and our writer, and real etcd serves it back unchanged', async () => {
    const server = original!;
    const savedPath = join(dir, 'from-etcd.db');
    await snapshotSave(server.endpoint, savedPath);
    const etcdStatus = await snapshotStatus(savedPath);

    // Our reader sees exactly the bytes bbolt does: etcdctl's hash covers every bucket, key and value.
    const reader = BboltReader.open(savedPath);
    const seen = readAllBuckets(reader);
    assert.deepEqual(etcdSnapshotStatus(reader), etcdStatus);
    reader.close();
    assert.deepEqual([...seen.keys()].sort(), [...BUCKET_NAMES].sort());
    assert.equal(seen.get('authUsers')?.length, 2);
    assert.equal(seen.get('authRoles')?.length, 1);
    assert.equal(seen.get('lease')?.length, 1);

    const backendPath = join(dir, 'imported.lmdb');
    const backend = LmdbBackend.open(backendPath);
    try {
      const summary = await importEtcdSnapshot(savedPath, backend);
      assert.equal(summary.revision, etcdStatus.revision);
      assert.equal(summary.compactRevision, KEYS / 2);
      for (const bucket of BUCKET_NAMES) {
        const entries = backend.range(bucket, Buffer.alloc(0), undefined, 0).map((e) => [e.key.toString('hex'), e.value.toString('hex')]);
        assert.deepEqual(entries, seen.get(bucket) ?? [], `bucket ${bucket}`);
      }
      // Our mvcc store over the imported buckets hashes its history as etcd does.
      const store = MvccStore.open(backend);
      assert.equal(store.currentRevision, etcdStatus.revision);
      assert.equal((await store.hashKV(0)).hash, await hashKv(server.endpoint));
      await store.close();

      const exportedPath = join(dir, 'from-etcd-ts.db');
      await exportEtcdSnapshot(backend, exportedPath);
      const exportedStatus = await snapshotStatus(exportedPath);
      assert.deepEqual({ ...exportedStatus, totalSize: 0 }, { ...etcdStatus, totalSize: 0 });
      restored = await restoreIntoEtcd(exportedPath, join(dir, 'restored.etcd'));
    } finally {
      await backend.close();
    }

    assert.deepEqual(await allKeysJson(restored.endpoint), await allKeysJson(server.endpoint));
    assert.equal(await hashKv(restored.endpoint), await hashKv(server.endpoint));
    for (const args of [['user', 'get', 'alice'], ['role', 'get', 'reader'], ['user', 'list']]) {
      assert.equal(await etcdctlOk(restored.endpoint, args), await etcdctlOk(server.endpoint, args), args.join(' '));
    }
    const compacted = await etcdctl(restored.endpoint, ['get', 'k/1', '--rev', '2']);
    assert.match(compacted.stderr, /required revision has been compacted/);
  });
});
