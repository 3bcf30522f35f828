// An etcd-ts store sent as Maintenance.Snapshot in etcd's format: the chunks put
// together are a bbolt db plus its sha256 that etcdctl accepts, that carries no
// etcd-ts bookkeeping, and that imports back into the same keys and revisions.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUCKET_NAMES } from '../../src/backend/backend.js';
import { LmdbBackend } from '../../src/backend/lmdb-backend.js';
import { BboltReader } from '../../src/bbolt/bbolt-reader.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { serializeSnapshotResponse } from '../../src/api/grpc/snapshot-response-encoding.js';
import { SnapshotResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { blobHeadroomBytes, etcdSnapshotChunks, type SnapshotChunk } from '../../src/snapshot/etcd-format/etcd-snapshot-chunks.js';
import { EtcdSnapshotError } from '../../src/snapshot/etcd-format/etcd-snapshot-error.js';
import { importEtcdSnapshot } from '../../src/snapshot/etcd-format/import-etcd-snapshot.js';
import { isBboltBytes, isBboltFile } from '../../src/snapshot/etcd-format/is-bbolt-file.js';
import { snapshotDbBytes } from '../../src/snapshot/etcd-format/snapshot-digest.js';
import { ALL, AT_HEAD, brief, del, put } from '../mvcc/store-helpers.js';
import { snapshotStatus } from './etcd-snapshot-helpers.js';

const PRIVATE_META_KEY = Buffer.from('etcd-ts:raft-snapshot');

let dir: string;
let backend: LmdbBackend;
let store: MvccStore;
let snapshot: Buffer;
let chunkSizes: number[];
let sent: SnapshotChunk[];
let encoded: Buffer[];
let sharesBlob: boolean[];
const HEADER = { clusterId: 0x1234_5678_9abc_def0n, memberId: 0xfedc_ba98_7654_3210n, revision: 93n, raftTerm: 2n };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etcd-snapshot-stream-'));
  backend = LmdbBackend.open(join(dir, 'source.lmdb'));
  store = MvccStore.open(backend);
  for (let round = 0; round < 3; round++) for (let i = 0; i < 30; i++) put(store, `s/${i}`, `r${round}-${i}`);
  del(store, 's/3');
  await store.compact(40).physical;
  store.setConsistentIndex(42, 3);
  backend.put('meta', PRIVATE_META_KEY, Buffer.from('{}'));
  await store.commit();
  const chunks: Buffer[] = [];
  const remaining: number[] = [];
  encoded = [];
  sharesBlob = [];
  sent = [];
  for await (const chunk of etcdSnapshotChunks(backend)) {
    // Encoded as it comes, as grpc-js does: the encoder may write into the room before the blob.
    sent.push({ remainingBytes: chunk.remainingBytes, blob: Buffer.from(chunk.blob) });
    encoded.push(serializeSnapshotResponse({ header: HEADER, remainingBytes: BigInt(chunk.remainingBytes), blob: chunk.blob }));
    sharesBlob.push(encoded.at(-1)!.buffer === chunk.blob.buffer && blobHeadroomBytes(chunk.blob) > 0);
    chunks.push(chunk.blob);
    remaining.push(chunk.remainingBytes);
  }
  snapshot = Buffer.concat(chunks);
  chunkSizes = remaining;
});

after(async () => {
  await store?.close();
  await backend?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Maintenance.Snapshot in etcd format', () => {
  test('counts the bytes down to zero and ends with the sha256 of the db', () => {
    assert.equal(chunkSizes.at(-2), 0);
    assert.equal(chunkSizes.at(-1), 0);
    assert.ok(isBboltBytes(snapshot));
    assert.equal(snapshotDbBytes(snapshot, false).length, snapshot.length - 32);
  });

  test('each block goes out encoded around the blob where it lies, as the generated encoder would encode it', () => {
    assert.deepEqual(sharesBlob, [...sent.slice(0, -1).map(() => true), false], 'blocks are encoded in place, the digest is copied');
    sent.forEach((chunk, i) => {
      const response = { header: HEADER, remainingBytes: BigInt(chunk.remainingBytes), blob: chunk.blob };
      assert.deepEqual(encoded[i], Buffer.from(SnapshotResponse.encode(response).finish()));
    });
  });

  test('is accepted by etcdctl with our revision, and leaves out etcd-ts bookkeeping', async () => {
    const path = join(dir, 'streamed.db');
    await writeFile(path, snapshot);
    assert.equal(await isBboltFile(path), true);
    assert.equal(await isBboltFile(join(dir, 'source.lmdb')), false);
    const status = await snapshotStatus(path);
    assert.equal(status.revision, store.currentRevision);
    const reader = BboltReader.open(snapshot);
    try {
      assert.deepEqual(reader.buckets(), [...BUCKET_NAMES].sort());
      const meta = new Map([...reader.entries('meta')].map(([k, v]) => [k.toString(), v]));
      assert.equal(meta.has(PRIVATE_META_KEY.toString()), false);
      assert.equal(meta.get('consistent_index')?.readBigUInt64BE(0), 42n);
      let entries = 0;
      for (const bucket of reader.buckets()) entries += [...reader.entries(bucket)].length;
      assert.equal(status.totalKey, entries);
    } finally {
      reader.close();
    }
  });

  test('imports back into the same keys, revisions and compaction', async () => {
    const copy = LmdbBackend.open(join(dir, 'imported.lmdb'));
    try {
      const summary = await importEtcdSnapshot(snapshotDbBytes(snapshot, false), copy);
      assert.equal(summary.compactRevision, 40);
      const imported = MvccStore.open(copy);
      const all = (s: MvccStore): string[] => s.read().range(ALL.key, ALL.end, AT_HEAD).kvs.map(brief);
      assert.deepEqual(all(imported), all(store));
      assert.equal(imported.currentRevision, store.currentRevision);
      assert.equal(imported.compactRevision, 40);
      await imported.close();
      await assert.rejects(importEtcdSnapshot(snapshot, copy), EtcdSnapshotError);
    } finally {
      await copy.close();
    }
  });

  test('a damaged snapshot fails its digest unless the check is skipped', () => {
    const damaged = Buffer.from(snapshot);
    damaged.writeUInt8(damaged.readUInt8(5000) ^ 1, 5000);
    assert.throws(() => snapshotDbBytes(damaged, false), /sha256 mismatch/);
    assert.equal(snapshotDbBytes(damaged, true).length, snapshot.length - 32);
    assert.throws(() => snapshotDbBytes(damaged.subarray(0, damaged.length - 32), false), /no sha256 digest/);
  });
});
