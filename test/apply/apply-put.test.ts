// Put as a client sees it: what is stored, what prev_kv returns, the ignore_*
// flags, lease checks, and what the lease module is told.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPut } from '../../src/apply/index.js';
import { isEtcdError, type EtcdErrorCode } from '../../src/errors/etcd-error.js';
import { RecordingLeases, withKv, type KvFixture } from './kv-fixture.js';
import { put } from './requests.js';

function failsWithNothingWritten(kv: KvFixture, code: EtcdErrorCode, apply: () => void): void {
  const before = kv.revision;
  assert.throws(apply, (error: unknown) => isEtcdError(error) && error.code === code);
  assert.equal(kv.revision, before);
}

describe('applyPut', () => {
  it('creates a key at the next revision, with no prev_kv to return', () =>
    withKv((kv) => {
      const leases = new RecordingLeases();
      const response = kv.write((view) => applyPut(view, put('k', 'v1', { prevKv: true }), leases));
      assert.equal(response.prevKv, undefined);
      assert.equal(response.header, undefined);
      assert.equal(kv.revision, 2);
      const stored = kv.get('k');
      assert.deepEqual(
        [stored?.value.toString(), stored?.createRevision, stored?.modRevision, stored?.version],
        ['v1', 2n, 2n, 1n],
      );
    }));

  it('returns the previous key-value only when prev_kv is asked for', () =>
    withKv((kv) => {
      const leases = new RecordingLeases();
      kv.seed('k', 'old');
      const silent = kv.write((view) => applyPut(view, put('k', 'mid'), leases));
      assert.equal(silent.prevKv, undefined);
      const told = kv.write((view) => applyPut(view, put('k', 'new', { prevKv: true }), leases));
      assert.equal(told.prevKv?.value.toString(), 'mid');
      assert.equal(told.prevKv?.version, 2n);
      assert.equal(kv.get('k')?.version, 3n);
    }));

  it('ignore_value keeps the current value and applies the new lease', () =>
    withKv((kv) => {
      const leases = new RecordingLeases([7n]);
      kv.seed('k', 'kept');
      kv.write((view) => applyPut(view, put('k', '', { ignoreValue: true, lease: 7n }), leases));
      assert.equal(kv.get('k')?.value.toString(), 'kept');
      assert.equal(kv.get('k')?.lease, 7n);
      assert.equal(kv.get('k')?.version, 2n);
    }));

  it('ignore_lease keeps the current lease and applies the new value', () =>
    withKv((kv) => {
      const leases = new RecordingLeases([7n]);
      kv.seed('k', 'old', 7n);
      kv.write((view) => applyPut(view, put('k', 'new', { ignoreLease: true }), leases));
      assert.equal(kv.get('k')?.value.toString(), 'new');
      assert.equal(kv.get('k')?.lease, 7n);
    }));

  it('refuses ignore_value and ignore_lease on a missing key, writing nothing', () =>
    withKv((kv) => {
      const leases = new RecordingLeases();
      failsWithNothingWritten(kv, 'KeyNotFound', () =>
        kv.write((view) => applyPut(view, put('k', '', { ignoreValue: true }), leases)),
      );
      failsWithNothingWritten(kv, 'KeyNotFound', () =>
        kv.write((view) => applyPut(view, put('k', 'v', { ignoreLease: true }), leases)),
      );
      assert.equal(kv.get('k'), undefined);
    }));

  it('refuses a lease that does not exist, before looking at the key', () =>
    withKv((kv) => {
      const leases = new RecordingLeases([1n]);
      failsWithNothingWritten(kv, 'LeaseNotFound', () =>
        kv.write((view) => applyPut(view, put('k', 'v', { lease: 2n }), leases)),
      );
      failsWithNothingWritten(kv, 'LeaseNotFound', () =>
        kv.write((view) => applyPut(view, put('k', '', { ignoreValue: true, lease: 2n }), leases)),
      );
      assert.equal(kv.get('k'), undefined);
    }));

  it('tells the lease module when a key joins, changes or leaves a lease', () =>
    withKv((kv) => {
      const leases = new RecordingLeases([5n, 6n]);
      const apply = (request: ReturnType<typeof put>): void => {
        kv.write((view) => applyPut(view, request, leases, leases));
      };
      apply(put('k', 'a', { lease: 5n }));
      apply(put('k', 'b', { lease: 5n }));
      apply(put('k', 'c', { ignoreLease: true }));
      apply(put('k', 'd', { lease: 6n }));
      apply(put('k', 'e'));
      assert.deepEqual(leases.calls, ['attach 5 k', 'detach 5 k', 'attach 6 k', 'detach 6 k']);
    }));
});
