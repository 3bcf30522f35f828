// Reading a bbolt file from disk with read-ahead gives exactly the bytes the file
// holds, in any order of reads, and a page handed out earlier stays intact after
// later reads (readers keep views of pages while they walk on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BboltFormatError } from '../../src/bbolt/bbolt-format.js';
import { FilePageSource, READ_AHEAD_BYTES } from '../../src/bbolt/page-source.js';

const PAGE_BYTES = 4096;

test('file pages read sequentially, backwards and at random match the file, and earlier pages stay intact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-page-source-'));
  const path = join(dir, 'db');
  const bytes = randomBytes(READ_AHEAD_BYTES * 2 + PAGE_BYTES * 3);
  writeFileSync(path, bytes);
  const source = new FilePageSource(path);
  try {
    const pages = bytes.length / PAGE_BYTES;
    const orders = [
      Array.from({ length: pages }, (_, i) => i),
      Array.from({ length: pages }, (_, i) => pages - 1 - i),
      Array.from({ length: pages }, (_, i) => (i * 7919) % pages),
    ];
    for (const order of orders) {
      const held: Array<[number, Buffer]> = [];
      for (const page of order) {
        const got = source.read(page * PAGE_BYTES, PAGE_BYTES);
        held.push([page, got]);
        assert.ok(got.equals(bytes.subarray(page * PAGE_BYTES, (page + 1) * PAGE_BYTES)), `page ${page}`);
      }
      for (const [page, got] of held) assert.ok(got.equals(bytes.subarray(page * PAGE_BYTES, (page + 1) * PAGE_BYTES)), `held page ${page}`);
    }
    // A span crossing a window's end, and one past the file's end.
    const span = source.read(READ_AHEAD_BYTES - PAGE_BYTES, PAGE_BYTES * 2);
    assert.ok(span.equals(bytes.subarray(READ_AHEAD_BYTES - PAGE_BYTES, READ_AHEAD_BYTES + PAGE_BYTES)));
    assert.throws(() => source.read(bytes.length - PAGE_BYTES, PAGE_BYTES * 2), BboltFormatError);
  } finally {
    source.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
