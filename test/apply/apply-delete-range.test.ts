// DeleteRange as a client sees it: which keys go, the deleted count, prev_kv, and
// what the lease module is told.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDeleteRange, applyRange } from '../../src/apply/index.js';
import { RecordingLeases, keysOf, valuesOf, withKv, type KvFixture } from './kv-fixture.js';
import { FROM_KEY, bytes, del, prefixEnd, range } from './requests.js';

function seedKeys(kv: KvFixture, keys: readonly string[]): void {
  for (const key of keys) kv.seed(key, `${key}-value`);
}

function liveKeys(kv: KvFixture): string[] {
  const everything = { ...range('x'), key: Buffer.from([0]), rangeEnd: FROM_KEY };
  return keysOf(applyRange(kv.read(), everything).kvs);
}

describe('applyDeleteRange', () => {
  it('deletes a single key at the next revision', () =>
    withKv((kv) => {
      seedKeys(kv, ['a', 'b']);
      const response = kv.write((view) => applyDeleteRange(view, del('a')));
      assert.equal(response.deleted, 1n);
      assert.deepEqual(response.prevKvs, []);
      assert.equal(response.header, undefined);
      assert.equal(kv.revision, 4);
      assert.deepEqual(liveKeys(kv), ['b']);
    }));

  it('deletes nothing and keeps the revision for a missing key', () =>
    withKv((kv) => {
      seedKeys(kv, ['a']);
      const response = kv.write((view) => applyDeleteRange(view, del('zz', { prevKv: true })));
      assert.equal(response.deleted, 0n);
      assert.deepEqual(response.prevKvs, []);
      assert.equal(kv.revision, 2);
    }));

  it('deletes [key, range_end) and counts what it deleted', () =>
    withKv((kv) => {
      seedKeys(kv, ['a', 'b', 'c', 'd']);
      const request = del('b', { rangeEnd: bytes('d') });
      const response = kv.write((view) => applyDeleteRange(view, request));
      assert.equal(response.deleted, 2n);
      assert.deepEqual(liveKeys(kv), ['a', 'd']);
      // The whole delete is one revision.
      assert.equal(kv.revision, 6);
    }));

  it('deletes a prefix, and every key >= key with a range_end of "\\0"', () =>
    withKv((kv) => {
      seedKeys(kv, ['a', 'foo', 'foo/1', 'foo/2', 'fop', 'z']);
      const prefixRequest = del('foo/', { rangeEnd: prefixEnd('foo/') });
      const prefix = kv.write((view) => applyDeleteRange(view, prefixRequest));
      assert.equal(prefix.deleted, 2n);
      assert.deepEqual(liveKeys(kv), ['a', 'foo', 'fop', 'z']);
      const fromKeyRequest = del('fop', { rangeEnd: FROM_KEY });
      const fromKey = kv.write((view) => applyDeleteRange(view, fromKeyRequest));
      assert.equal(fromKey.deleted, 2n);
      assert.deepEqual(liveKeys(kv), ['a', 'foo']);
    }));

  it('returns the deleted key-values with prev_kv', () =>
    withKv((kv) => {
      seedKeys(kv, ['a', 'b', 'c']);
      const response = kv.write((view) =>
        applyDeleteRange(view, del('a', { rangeEnd: bytes('c'), prevKv: true })),
      );
      assert.deepEqual(keysOf(response.prevKvs), ['a', 'b']);
      assert.deepEqual(valuesOf(response.prevKvs), ['a-value', 'b-value']);
    }));

  it('tells the lease module about every leased key it deletes', () =>
    withKv((kv) => {
      kv.seed('a', 'v', 5n);
      kv.seed('b', 'v');
      kv.seed('c', 'v', 6n);
      const leases = new RecordingLeases([5n, 6n]);
      const request = del('a', { rangeEnd: FROM_KEY });
      const response = kv.write((view) => applyDeleteRange(view, request, leases));
      assert.equal(response.deleted, 3n);
      assert.deepEqual(response.prevKvs, []);
      assert.deepEqual(leases.calls, ['detach 5 a', 'detach 6 c']);
    }));
});
