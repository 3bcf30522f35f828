// The lmdb paths that large snapshots take: a point-in-time reader sees the
// committed state of the moment it opened while writes go on (and defragment
// waits for it), in-place visits refuse to run over uncommitted writes, and a
// bulk load lands every entry, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbBackend } from '../../src/backend/lmdb-backend.js';

const b = (s: string): Buffer => Buffer.from(s);

async function withBackend(fn: (backend: LmdbBackend) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-lmdb-bulk-'));
  const backend = LmdbBackend.open(join(dir, 'db'));
  try {
    await fn(backend);
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const entriesOf = (iterable: Iterable<readonly [Buffer, Buffer]>): string[] => [...iterable].map(([k, v]) => `${k.toString()}=${v.toString()}`);

test('a point-in-time reader sees the commit it opened on, not later writes; defragment waits for it', () =>
  withBackend(async (backend) => {
    backend.put('key', b('a'), b('1'));
    backend.put('key', b('b'), b('1'));
    const reader = await backend.pointInTimeReader();
    backend.put('key', b('a'), b('2'));
    backend.delete('key', b('b'));
    backend.put('key', b('c'), b('2'));
    await backend.commit();
    let defragmented = false;
    const defrag = backend.defragment().then(() => {
      defragmented = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(defragmented, false, 'defragment must wait for the open reader');
    assert.deepEqual(entriesOf(reader.entries('key')), ['a=1', 'b=1']);
    reader.close();
    reader.close();
    await defrag;
    assert.deepEqual(backend.range('key', Buffer.alloc(0), undefined, 0).map((e) => `${e.key}=${e.value}`), ['a=2', 'c=2']);
  }));

test('an in-place visit runs only over committed state', () =>
  withBackend(async (backend) => {
    backend.put('key', b('x'), b('hello'));
    const seen: string[] = [];
    const parseKey = (source: Uint8Array, start: number, end: number): string => Buffer.from(source.subarray(start, end)).toString();
    const parse = (value: Uint8Array, bytes: number): string => Buffer.from(value.subarray(0, bytes)).toString();
    assert.equal(backend.visitCommitted('key', b('\0'), parseKey, parse, (k, v) => seen.push(`${k}=${v}`)), false);
    await backend.commit();
    assert.equal(backend.visitCommitted('key', b('\0'), parseKey, parse, (k, v) => seen.push(`${k}=${v}`)), true);
    assert.deepEqual(seen, ['x=hello']);
  }));

test('a bulk load puts every entry across several transactions, copying reused buffers', () =>
  withBackend(async (backend) => {
    const reused = Buffer.alloc(8);
    function* source(): Generator<[Buffer, Buffer]> {
      for (let i = 0; i < 2500; i++) {
        reused.writeUInt32BE(i, 0);
        reused.writeUInt32BE(i * 7, 4);
        yield [reused.subarray(0, 4), reused.subarray(4, 8)];
      }
    }
    assert.equal(backend.loadEntries('key', source(), 1000), 2500);
    const all = backend.range('key', Buffer.alloc(0), undefined, 0);
    assert.equal(all.length, 2500);
    all.forEach((e, i) => {
      assert.equal(e.key.readUInt32BE(0), i);
      assert.equal(e.value.readUInt32BE(0), i * 7);
    });
  }));

/** The file-backed part of this process's resident memory (Linux's RssFile), in bytes. */
function residentFileBytes(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('RssFile:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

test('releasing mapped pages: what a full scan mapped leaves the resident set; entries, later writes and a reopen are intact', () =>
  withBackend(async (backend) => {
    const value = Buffer.alloc(4000, 'v');
    const count = 10_000;
    const keyOf = (i: number): Buffer => b(`k${String(i).padStart(6, '0')}`);
    for (let i = 0; i < count; i++) backend.put('key', keyOf(i), value);
    await backend.commit();
    const reader = await backend.pointInTimeReader();
    let released = false;
    const release = backend.releaseMappedPages().then(() => {
      released = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(released, false, 'an open point-in-time reader is waited for');
    await reader.close();
    await release;

    // A full scan, as the start-up index rebuild does: every page of the ~40 MB file is mapped.
    let scanned = 0;
    for (const entry of backend.range('key', b('k'), b('l'), 0)) scanned += entry.value.length;
    assert.equal(scanned, count * value.length);
    const afterScan = residentFileBytes();
    await backend.releaseMappedPages();
    const afterRelease = residentFileBytes();
    assert.ok(afterScan - afterRelease > 30 * 1024 * 1024, `resident file pages ${afterScan} -> ${afterRelease} bytes`);

    assert.equal(backend.get('key', keyOf(1234))?.length, value.length);
    backend.put('key', b('later'), b('1'));
    await backend.commit();
    assert.equal(backend.range('key', b('k'), b('l'), 0).length, count);
    assert.equal(backend.get('key', b('later'))?.toString(), '1');
  }));
