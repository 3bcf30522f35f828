// Damaged bbolt files: each kind of structural damage is refused with a
// BboltFormatError naming the page and the reason, and seeded sweeps of truncated
// and randomly damaged files never crash the reader or make it loop.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BboltFormatError } from '../../src/bbolt/bbolt-format.js';
import { BboltReader } from '../../src/bbolt/bbolt-reader.js';
import { writeBbolt } from '../../src/bbolt/bbolt-writer.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { fixtureContent, fixtureSources } from './bbolt-fixture.js';

const SEED = 7_001;
const BIG_KEYS = 2_000;
const PAGE = 4096;
const TRUNCATIONS = 200;
const RANDOM_DAMAGES = 300;
/** Nested buckets a full read follows; the fixture nests two deep. */
const NESTING_MAX = 4;

let dir: string;
let pristine: Buffer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bbolt-corrupt-'));
  const path = join(dir, 'fixture.db');
  await writeBbolt(path, fixtureSources(fixtureContent(SEED, BIG_KEYS)));
  pristine = await readFile(path);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Opens and reads every key of every bucket, nested ones too; returns the number of entries. */
function readEverything(bytes: Uint8Array): number {
  const reader = BboltReader.open(bytes);
  try {
    const walk = (path: string[]): number => {
      let count = 0;
      for (const item of reader.items(path)) {
        count++;
        if (item.isBucket && path.length < NESTING_MAX) count += walk([...path, item.key.toString('utf8')]);
      }
      return count;
    };
    return walk([]);
  } finally {
    reader.close();
  }
}

/** The root page of a top-level bucket in the pristine file. */
function bucketRoot(name: string): number {
  const reader = BboltReader.open(pristine);
  try {
    const item = [...reader.items([])].find((i) => i.key.toString() === name);
    assert.ok(item);
    return Number(item.value.readBigUInt64LE(0));
  } finally {
    reader.close();
  }
}

function damaged(edit: (bytes: Buffer) => void): Buffer {
  const copy = Buffer.from(pristine);
  edit(copy);
  return copy;
}

function flip(bytes: Buffer, at: number): void {
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
}

function assertRefused(bytes: Buffer, reason: RegExp, pageId?: number): void {
  assert.throws(
    () => readEverything(bytes),
    (error: unknown) => {
      assert.ok(error instanceof BboltFormatError, `not a BboltFormatError: ${String(error)}`);
      assert.match(error.message, reason);
      if (pageId !== undefined) assert.equal(error.pageId, pageId, error.message);
      return true;
    },
  );
}

describe('structural damage is refused with the page and the reason', () => {
  test('the undamaged fixture reads in full', () => {
    assert.ok(readEverything(pristine) > BIG_KEYS);
  });

  test('bad magic, wrong version or a bad checksum on both metas', () => {
    assertRefused(damaged((b) => { b.writeUInt32LE(0xdeadbeef, 16); b.writeUInt32LE(0xdeadbeef, PAGE + 16); }), /no valid meta page.*bad magic/);
    assertRefused(damaged((b) => { b.writeUInt32LE(3, 20); b.writeUInt32LE(3, PAGE + 20); }), /unsupported version 3/);
    assertRefused(damaged((b) => { flip(b, 16 + 48); flip(b, PAGE + 16 + 48); }), /checksum mismatch/);
  });

  test('one damaged meta is survived by using the other, as bbolt does', () => {
    assert.equal(readEverything(damaged((b) => { flip(b, PAGE + 16 + 40); })), readEverything(pristine));
  });

  test('a truncated file', () => {
    assertRefused(pristine.subarray(0, pristine.length - PAGE), /file truncated/);
    assertRefused(pristine.subarray(0, 50), /too small for a meta page/);
  });

  const root = (): number => bucketRoot('big');
  const firstChild = (bytes: Buffer): number => Number(bytes.readBigUInt64LE(root() * PAGE + 16 + 8));

  test('a branch pointing outside the file, or back at itself', () => {
    assertRefused(damaged((b) => b.writeBigUInt64LE(1_000_000n, root() * PAGE + 16 + 8)), /points at page 1000000/, root());
    assertRefused(damaged((b) => b.writeBigUInt64LE(BigInt(root()), root() * PAGE + 16 + 8)), /reached twice/, root());
  });

  test('a leaf element reaching outside its page, and keys out of order', () => {
    const leaf = firstChild(pristine);
    assertRefused(damaged((b) => b.writeUInt32LE(PAGE * 2, leaf * PAGE + 16 + 4)), /outside its 4096-byte page/, leaf);
    // The last key of the leaf made smaller than the one before it.
    assertRefused(damaged((b) => {
      const count = b.readUInt16LE(leaf * PAGE + 10);
      const at = leaf * PAGE + 16 + (count - 1) * 16;
      b[at + b.readUInt32LE(at + 4)] = 0;
    }), /keys out of order/, leaf);
  });

  test('wrong page flags, a wrong page id in the header, and overflow past the end', () => {
    const leaf = firstChild(pristine);
    assertRefused(damaged((b) => b.writeUInt16LE(0x10, leaf * PAGE + 8)), /flags 0x10/, leaf);
    assertRefused(damaged((b) => b.writeBigUInt64LE(7n, leaf * PAGE)), /header says it is page 7/, leaf);
    assertRefused(damaged((b) => b.writeUInt32LE(0xffff_fff0, leaf * PAGE + 12)), /overflow pages run past/, leaf);
  });

  test('an inline bucket value shorter than a bucket header', () => {
    // The root bucket's leaf: shrink the value of its first element (bucket `big`) to 4 bytes.
    const rootLeaf = Number(pristine.readBigUInt64LE(16 + 16));
    assertRefused(damaged((b) => b.writeUInt32LE(4, rootLeaf * PAGE + 16 + 12)), /less than a bucket header/, rootLeaf);
  });
});

describe('seeded sweeps', () => {
  test(`${TRUNCATIONS} truncations: every one refused`, () => {
    const random = seededRandom(SEED);
    for (let i = 0; i < TRUNCATIONS; i++) {
      const length = random.int(0, pristine.length - 1);
      assert.throws(() => readEverything(pristine.subarray(0, length)), BboltFormatError, `truncated to ${length}`);
    }
  });

  test('a damaged page id on any page in use: every one refused', () => {
    const random = seededRandom(SEED + 1);
    const pages = pristine.length / PAGE;
    let tried = 0;
    for (let pgid = 2; pgid < pages; pgid++) {
      // Overflow continuation pages carry data, not a header.
      if (pristine.readBigUInt64LE(pgid * PAGE) !== BigInt(pgid)) continue;
      const bytes = damaged((b) => { b.writeUInt32LE(random.int(1, 0xffff_ffff), pgid * PAGE + 4); });
      assert.throws(() => readEverything(bytes), BboltFormatError, `page ${pgid}`);
      tried++;
    }
    assert.ok(tried > 50, `${tried} pages`);
  });

  test(`${RANDOM_DAMAGES} files with random damage anywhere: refused or read, never a crash or a hang`, () => {
    const random = seededRandom(SEED + 2);
    let refused = 0;
    for (let i = 0; i < RANDOM_DAMAGES; i++) {
      const bytes = damaged((b) => {
        const hits = random.int(1, 8);
        // Aim half the hits at page headers and element tables, where the structure lives.
        for (let h = 0; h < hits; h++) {
          const at = random.next() < 0.5 ? random.int(0, b.length / PAGE - 1) * PAGE + random.int(0, 63) : random.int(0, b.length - 1);
          b[at] = random.int(0, 255);
        }
      });
      try {
        readEverything(bytes);
      } catch (error) {
        assert.ok(error instanceof BboltFormatError, `damage ${i}: ${String(error)}`);
        refused++;
      }
    }
    // Most damage to headers is caught; damage to values cannot be (bbolt keeps no data checksums).
    assert.ok(refused > RANDOM_DAMAGES / 4, `${refused} refused`);
  });
});
