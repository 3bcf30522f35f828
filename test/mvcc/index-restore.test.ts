// Rebuilding the key index at start-up: records read in place from lmdb give the
// same index as records read through range() on the memory backend, leased keys
// come back without a second read, and the compact per-key history answers like
// the plain list of events it stands for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbBackend } from '../../src/backend/lmdb-backend.js';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import { KeyValue } from '../../src/generated/mvccpb/kv.js';
import { IndexRecordError, readIndexRecord } from '../../src/mvcc/index-record.js';
import { KeyHistory } from '../../src/mvcc/key-history.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { ALL, del, getAt, keysIn, put } from './store-helpers.js';

const scratch = () => ({ key: '', createRevision: 0, version: 0, lease: 0n });

test('the in-place record reader gives the fields KeyValue.decode gives', () => {
  const leases = [0n, 1n, 0x7fff_ffff_ffff_ffffn, 0x1234_5678_9abc_def0n, -5n, 2n ** 35n + 3n];
  for (const lease of leases) {
    const kv = KeyValue.fromPartial({
      key: Buffer.from([0x00, 0xff, 0x80, 0x61]),
      createRevision: 2n ** 40n + 7n,
      modRevision: 9n,
      version: 300n,
      value: Buffer.alloc(70_000, 1),
      lease,
    });
    const bytes = Buffer.from(KeyValue.encode(kv).finish());
    // Trailing bytes past `length` (lmdb's shared buffer) must be ignored.
    const padded = Buffer.concat([bytes, Buffer.from([0xff, 0xff, 0xff])]);
    const got = readIndexRecord(padded, bytes.length, scratch());
    assert.deepEqual(got, { key: kv.key.toString('latin1'), createRevision: 2 ** 40 + 7, version: 300, lease });
  }
});

test('a truncated or malformed record is an IndexRecordError, not a wrong index', () => {
  const bytes = Buffer.from(KeyValue.encode(KeyValue.fromPartial({ key: Buffer.from('abc'), value: Buffer.from('xyz'), version: 1n })).finish());
  for (let cut = 1; cut < bytes.length; cut++) {
    if (cut === 5 || cut === 7) continue; // ends exactly after the key or the version field: shorter but valid
    assert.throws(() => readIndexRecord(bytes, cut, scratch()), IndexRecordError, `cut at ${cut}`);
  }
  assert.throws(() => readIndexRecord(Buffer.from([0x0b]), 1, scratch()), /wire type 3/);
});

test('a store reopened on lmdb has the index and leased keys it had, as on the memory backend', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-index-'));
  const backends = [LmdbBackend.open(join(dir, 'db')), MemoryBackend.open()];
  try {
    const observed: string[] = [];
    for (const backend of backends) {
      const first = MvccStore.open(backend);
      put(first, 'a', '1', 7n);
      put(first, 'b', '1', 8n);
      put(first, 'a', '2'); // the newest put drops the lease
      put(first, 'c', '1', 9n);
      del(first, 'c');
      put(first, 'd', '1');
      del(first, 'd');
      put(first, 'd', '2', 10n);
      put(first, 'e', '1');
      await first.commit();
      const reopened = MvccStore.open(backend);
      const leased: string[] = [];
      reopened.forEachLeasedKey((key, lease) => leased.push(`${key.toString()}:${lease}`));
      const history = ['a', 'b', 'c', 'd', 'e'].flatMap((k) => [2, 3, 5, 6, 7, 8, 9, 10].map((rev) => `${k}@${rev}=${getAt(reopened, k, rev)}`));
      observed.push(JSON.stringify({ leased: leased.sort(), keys: keysIn(reopened, ALL.key, ALL.end), history, rev: reopened.currentRevision }));
      // After a write the leased keys are read from the index again, and still right.
      put(reopened, 'b', '2');
      const after: string[] = [];
      reopened.forEachLeasedKey((key, lease) => after.push(`${key.toString()}:${lease}`));
      assert.deepEqual(after.sort(), ['d:10']);
      await reopened.close();
    }
    assert.equal(observed[0], observed[1]);
    assert.match(observed[0] ?? '', /"leased":\["b:8","d:10"\]/);
  } finally {
    for (const backend of backends) await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The plain model: a key's events in order; a read at rev sees the newest event at or below it. */
function modelGet(events: ReadonlyArray<{ main: number; sub: number; tombstone: boolean }>, atRev: number): string {
  let created = 0;
  let version = 0;
  let seen = 'none';
  for (const e of events) {
    if (e.main > atRev) break;
    if (e.tombstone) {
      version = 0;
      seen = 'none';
      continue;
    }
    if (version === 0) created = e.main;
    version++;
    seen = `${e.main}.${e.sub} c${created} v${version}`;
  }
  return seen;
}

test('the compact key history answers every revision like the list of events', () => {
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const h = new KeyHistory();
    const events: Array<{ main: number; sub: number; tombstone: boolean }> = [];
    let main = 1;
    for (let step = random(12); step >= 0; step--) {
      main += 1 + random(3);
      const sub = random(2);
      const tombstone = h.isLive() && random(3) === 0;
      if (tombstone) h.tombstone(main, sub);
      else h.put(main, sub);
      events.push({ main, sub, tombstone });
    }
    for (let rev = 0; rev <= main + 1; rev++) {
      const at = h.get(rev);
      const got = at === undefined ? 'none' : `${at.modified.main}.${at.modified.sub} c${at.created} v${at.version}`;
      assert.equal(got, modelGet(events, rev), `round ${round} rev ${rev}`);
    }
    // Compaction keeps every answer at and above its revision.
    const compactAt = 1 + random(main + 1);
    h.compact(compactAt, new Set());
    for (let rev = compactAt; rev <= main + 1; rev++) {
      const at = h.get(rev);
      const got = at === undefined ? 'none' : `${at.modified.main}.${at.modified.sub} c${at.created} v${at.version}`;
      assert.equal(got, modelGet(events, rev), `round ${round} after compact at ${compactAt}, rev ${rev}`);
    }
  }
});
