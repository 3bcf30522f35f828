// Range as a client sees it: which keys come back, in which order, how many, and
// what `more` and `count` say, against a real MVCC store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRange } from '../../src/apply/index.js';
import { isEtcdError } from '../../src/errors/etcd-error.js';
import {
  RangeRequest_SortOrder as SortOrder,
  RangeRequest_SortTarget as SortTarget,
} from '../../src/generated/etcdserverpb/rpc.js';
import { keysOf, valuesOf, withKv, type KvFixture } from './kv-fixture.js';
import { FROM_KEY, bytes, prefixEnd, range } from './requests.js';

const ALL = { rangeEnd: FROM_KEY };

/**
 * Four keys whose orders by each sort target all differ:
 *   key  create  mod  version  value
 *   a    5       5    1        w
 *   b    4       11   2        y2
 *   c    3       10   4        u
 *   d    2       8    3        x3
 */
function seedSortable(kv: KvFixture): void {
  const writes: Array<[string, string]> = [
    ['d', 'x'], ['c', 'z'], ['b', 'y'], ['a', 'w'], ['c', 'z2'],
    ['d', 'x2'], ['d', 'x3'], ['c', 'v'], ['c', 'u'], ['b', 'y2'],
  ];
  for (const [key, value] of writes) kv.seed(key, value);
  assert.equal(kv.revision, 11);
}

describe('applyRange: which keys', () => {
  it('returns a single key with its revisions and version', () =>
    withKv((kv) => {
      seedSortable(kv);
      const response = applyRange(kv.read(), range('c'));
      assert.equal(response.kvs.length, 1);
      const [c] = response.kvs;
      assert.deepEqual(
        [c?.value.toString(), c?.createRevision, c?.modRevision, c?.version],
        ['u', 3n, 10n, 4n],
      );
      assert.equal(response.count, 1n);
      assert.equal(response.more, false);
      assert.equal(response.header, undefined);
    }));

  it('returns nothing and a zero count for a missing key', () =>
    withKv((kv) => {
      seedSortable(kv);
      const response = applyRange(kv.read(), range('zz'));
      assert.deepEqual(response.kvs, []);
      assert.equal(response.count, 0n);
    }));

  it('returns [key, range_end) in key order', () =>
    withKv((kv) => {
      seedSortable(kv);
      assert.deepEqual(keysOf(applyRange(kv.read(), range('b', { rangeEnd: bytes('d') })).kvs), [
        'b',
        'c',
      ]);
    }));

  it('returns a prefix through its range_end', () =>
    withKv((kv) => {
      for (const key of ['foo', 'foo/a', 'foo/b', 'fop']) kv.seed(key, 'v');
      const response = applyRange(kv.read(), range('foo/', { rangeEnd: prefixEnd('foo/') }));
      assert.deepEqual(keysOf(response.kvs), ['foo/a', 'foo/b']);
    }));

  it('returns every key >= key for a range_end of "\\0", and everything from "\\0"', () =>
    withKv((kv) => {
      seedSortable(kv);
      assert.deepEqual(keysOf(applyRange(kv.read(), range('c', ALL)).kvs), ['c', 'd']);
      const everything = applyRange(kv.read(), { ...range('x', ALL), key: Buffer.from([0]) });
      assert.deepEqual(keysOf(everything.kvs), ['a', 'b', 'c', 'd']);
    }));

  it('reads an older revision, and refuses a future or compacted one', () =>
    withKv(async (kv) => {
      seedSortable(kv);
      const atFour = applyRange(kv.read(), range('a', { ...ALL, revision: 4n }));
      assert.deepEqual(keysOf(atFour.kvs), ['b', 'c', 'd']);
      assert.deepEqual(valuesOf(atFour.kvs), ['y', 'z', 'x']);
      assert.throws(
        () => applyRange(kv.read(), range('a', { revision: 12n })),
        (error: unknown) => isEtcdError(error) && error.code === 'FutureRev',
      );
      await kv.store.compact(6).physical;
      assert.throws(
        () => applyRange(kv.read(), range('a', { revision: 5n })),
        (error: unknown) => isEtcdError(error) && error.code === 'Compacted',
      );
      // The compact revision itself stays readable.
      assert.deepEqual(keysOf(applyRange(kv.read(), range('a', { ...ALL, revision: 6n })).kvs), [
        'a', 'b', 'c', 'd',
      ]);
    }));

  it('reads the current revision for a negative revision', () =>
    withKv((kv) => {
      seedSortable(kv);
      assert.deepEqual(valuesOf(applyRange(kv.read(), range('c', { revision: -3n })).kvs), ['u']);
    }));
});

describe('applyRange: limit, more and count', () => {
  it('truncates to the limit, says there is more, and counts the whole range', () =>
    withKv((kv) => {
      seedSortable(kv);
      const response = applyRange(kv.read(), range('a', { ...ALL, limit: 2n }));
      assert.deepEqual(keysOf(response.kvs), ['a', 'b']);
      assert.equal(response.more, true);
      assert.equal(response.count, 4n);
    }));

  it('says there is no more when the limit covers the range', () =>
    withKv((kv) => {
      seedSortable(kv);
      const response = applyRange(kv.read(), range('a', { ...ALL, limit: 4n }));
      assert.equal(response.kvs.length, 4);
      assert.equal(response.more, false);
    }));

  it('treats a negative limit as no limit', () =>
    withKv((kv) => {
      seedSortable(kv);
      const response = applyRange(kv.read(), range('a', { ...ALL, limit: -1n }));
      assert.equal(response.kvs.length, 4);
      assert.equal(response.more, false);
    }));

  it('count_only returns the count and no keys, even with a limit', () =>
    withKv((kv) => {
      seedSortable(kv);
      const response = applyRange(kv.read(), range('a', { ...ALL, countOnly: true, limit: 1n }));
      assert.deepEqual(response.kvs, []);
      assert.equal(response.count, 4n);
      assert.equal(response.more, false);
    }));

  it('keys_only empties values and keeps everything else', () =>
    withKv((kv) => {
      seedSortable(kv);
      const response = applyRange(kv.read(), range('b', { keysOnly: true }));
      assert.equal(response.kvs[0]?.value.length, 0);
      assert.equal(response.kvs[0]?.modRevision, 11n);
      // The store's own record keeps its value.
      assert.equal(kv.get('b')?.value.toString(), 'y2');
    }));
});

describe('applyRange: sorting', () => {
  const ascending: Record<string, string[]> = {
    KEY: ['a', 'b', 'c', 'd'],
    VERSION: ['a', 'b', 'd', 'c'],
    CREATE: ['d', 'c', 'b', 'a'],
    MOD: ['a', 'd', 'c', 'b'],
    VALUE: ['c', 'a', 'd', 'b'],
  };
  const targets: Array<[string, SortTarget]> = [
    ['KEY', SortTarget.KEY],
    ['VERSION', SortTarget.VERSION],
    ['CREATE', SortTarget.CREATE],
    ['MOD', SortTarget.MOD],
    ['VALUE', SortTarget.VALUE],
  ];

  for (const [name, sortTarget] of targets) {
    it(`sorts by ${name} ascending and descending`, () =>
      withKv((kv) => {
        seedSortable(kv);
        const expected = ascending[name] ?? [];
        const sorted = (sortOrder: SortOrder) =>
          applyRange(kv.read(), range('a', { ...ALL, sortTarget, sortOrder }));
        const up = sorted(SortOrder.ASCEND);
        assert.deepEqual(keysOf(up.kvs), expected);
        const down = sorted(SortOrder.DESCEND);
        assert.deepEqual(keysOf(down.kvs), [...expected].reverse());
      }));
  }

  it('sorts ascending when a target other than KEY comes with order NONE', () =>
    withKv((kv) => {
      seedSortable(kv);
      const response = applyRange(kv.read(), range('a', { ...ALL, sortTarget: SortTarget.MOD }));
      assert.deepEqual(keysOf(response.kvs), ['a', 'd', 'c', 'b']);
    }));

  it('sorts the whole range before applying the limit', () =>
    withKv((kv) => {
      seedSortable(kv);
      const response = applyRange(
        kv.read(),
        range('a', { ...ALL, sortTarget: SortTarget.MOD, sortOrder: SortOrder.DESCEND, limit: 2n }),
      );
      assert.deepEqual(keysOf(response.kvs), ['b', 'c']);
      assert.equal(response.more, true);
      assert.equal(response.count, 4n);
    }));

  it('keeps key order for sort values outside the enums', () =>
    withKv((kv) => {
      seedSortable(kv);
      const request = range('a', { ...ALL, limit: 3n });
      request.sortOrder = Number('5');
      request.sortTarget = SortTarget.MOD;
      assert.deepEqual(keysOf(applyRange(kv.read(), request).kvs), ['a', 'b', 'c']);
      request.sortOrder = SortOrder.DESCEND;
      request.sortTarget = Number('9');
      assert.deepEqual(keysOf(applyRange(kv.read(), request).kvs), ['a', 'b', 'c']);
    }));
});

describe('applyRange: revision filters', () => {
  const cases: Array<[string, Parameters<typeof range>[1], string[]]> = [
    ['min mod revision', { minModRevision: 8n }, ['b', 'c', 'd']],
    ['max mod revision', { maxModRevision: 8n }, ['a', 'd']],
    ['min create revision', { minCreateRevision: 4n }, ['a', 'b']],
    ['max create revision', { maxCreateRevision: 3n }, ['c', 'd']],
    ['min and max mod revision', { minModRevision: 6n, maxModRevision: 10n }, ['c', 'd']],
  ];
  for (const [name, filter, expected] of cases) {
    it(`filters by ${name} and still counts the whole range`, () =>
      withKv((kv) => {
        seedSortable(kv);
        const response = applyRange(kv.read(), range('a', { ...ALL, ...filter }));
        assert.deepEqual(keysOf(response.kvs), expected);
        assert.equal(response.count, 4n);
      }));
  }

  it('applies the limit after filtering', () =>
    withKv((kv) => {
      seedSortable(kv);
      const response = applyRange(kv.read(), range('a', { ...ALL, minModRevision: 8n, limit: 2n }));
      assert.deepEqual(keysOf(response.kvs), ['b', 'c']);
      assert.equal(response.more, true);
    }));
});
