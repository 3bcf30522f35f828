// Txn as a client sees it: compares, the chosen branch, one revision for the
// whole txn, reads of its own writes, nested txns, and all-or-nothing failures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyReadOnlyTxn, applyTxn, isTxnReadOnly } from '../../src/apply/index.js';
import { isEtcdError, type EtcdErrorCode } from '../../src/errors/etcd-error.js';
import type { Compare, ResponseOp, TxnRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { RecordingLeases, keysOf, withKv, type KvFixture } from './kv-fixture.js';
import {
  CompareResult,
  CompareTarget,
  FROM_KEY,
  bytes,
  compare,
  createRevision,
  delOp,
  leaseId,
  modRevision,
  prefixEnd,
  putOp,
  rangeOp,
  txn,
  txnOp,
  value,
  version,
} from './requests.js';

const { EQUAL, GREATER, LESS, NOT_EQUAL } = CompareResult;
const { VERSION, CREATE, MOD, VALUE, LEASE } = CompareTarget;

function run(kv: KvFixture, request: TxnRequest, leases = new RecordingLeases()) {
  return kv.write((view) => applyTxn(view, request, leases, leases));
}

function holds(kv: KvFixture, ...compares: Compare[]): boolean {
  return run(kv, txn({ compare: compares })).succeeded;
}

function rangeValues(response: ResponseOp | undefined): string[] {
  assert.equal(response?.response?.$case, 'responseRange');
  return response.response.value.kvs.map((kv) => kv.value.toString());
}

function failsWithNothingWritten(
  kv: KvFixture,
  code: EtcdErrorCode,
  request: TxnRequest,
  leases?: RecordingLeases,
): void {
  const before = kv.revision;
  assert.throws(
    () => run(kv, request, leases),
    (error: unknown) => isEtcdError(error) && error.code === code,
  );
  assert.equal(kv.revision, before);
}

describe('applyTxn: compares on one key', () => {
  // k: create 2, mod 3, version 2, value "v2", lease 5.
  const seedK = (kv: KvFixture): void => {
    kv.seed('k', 'v1');
    kv.seed('k', 'v2', 5n);
  };
  const cases: Array<[string, Compare, boolean]> = [
    ['version == 2', compare('k', VERSION, EQUAL, version(2n)), true],
    ['version == 1', compare('k', VERSION, EQUAL, version(1n)), false],
    ['version > 1', compare('k', VERSION, GREATER, version(1n)), true],
    ['version > 2', compare('k', VERSION, GREATER, version(2n)), false],
    ['version < 3', compare('k', VERSION, LESS, version(3n)), true],
    ['version < 2', compare('k', VERSION, LESS, version(2n)), false],
    ['version != 1', compare('k', VERSION, NOT_EQUAL, version(1n)), true],
    ['version != 2', compare('k', VERSION, NOT_EQUAL, version(2n)), false],
    ['create == 2', compare('k', CREATE, EQUAL, createRevision(2n)), true],
    ['create > 2', compare('k', CREATE, GREATER, createRevision(2n)), false],
    ['create < 3', compare('k', CREATE, LESS, createRevision(3n)), true],
    ['create != 2', compare('k', CREATE, NOT_EQUAL, createRevision(2n)), false],
    ['mod == 3', compare('k', MOD, EQUAL, modRevision(3n)), true],
    ['mod > 2', compare('k', MOD, GREATER, modRevision(2n)), true],
    ['mod < 3', compare('k', MOD, LESS, modRevision(3n)), false],
    ['mod != 4', compare('k', MOD, NOT_EQUAL, modRevision(4n)), true],
    ['value == v2', compare('k', VALUE, EQUAL, value('v2')), true],
    ['value > v1', compare('k', VALUE, GREATER, value('v1')), true],
    ['value < v1', compare('k', VALUE, LESS, value('v1')), false],
    ['value < v3', compare('k', VALUE, LESS, value('v3')), true],
    ['value != v2', compare('k', VALUE, NOT_EQUAL, value('v2')), false],
    ['lease == 5', compare('k', LEASE, EQUAL, leaseId(5n)), true],
    ['lease > 5', compare('k', LEASE, GREATER, leaseId(5n)), false],
    ['lease < 6', compare('k', LEASE, LESS, leaseId(6n)), true],
    ['lease != 0', compare('k', LEASE, NOT_EQUAL, leaseId(0n)), true],
    // An operand of the wrong kind counts as zero, as in etcd.
    ['version == (create 2)', compare('k', VERSION, EQUAL, createRevision(2n)), false],
    ['version > (create 2)', compare('k', VERSION, GREATER, createRevision(2n)), true],
  ];
  for (const [name, check, expected] of cases) {
    it(`${name} is ${expected}`, () =>
      withKv((kv) => {
        seedK(kv);
        assert.equal(holds(kv, check), expected);
        assert.equal(kv.revision, 3);
      }));
  }

  it('needs every compare to hold, and holds with none', () =>
    withKv((kv) => {
      seedK(kv);
      const yes = compare('k', VERSION, EQUAL, version(2n));
      const no = compare('k', LEASE, EQUAL, leaseId(0n));
      assert.equal(holds(kv, yes, no), false);
      assert.equal(holds(kv, yes, yes), true);
      assert.equal(holds(kv), true);
    }));
});

describe('applyTxn: compares on missing keys and ranges', () => {
  it('compares a missing key as version, create, mod and lease 0', () =>
    withKv((kv) => {
      assert.equal(holds(kv, compare('m', VERSION, EQUAL, version(0n))), true);
      assert.equal(holds(kv, compare('m', CREATE, EQUAL, createRevision(0n))), true);
      assert.equal(holds(kv, compare('m', MOD, LESS, modRevision(1n))), true);
      assert.equal(holds(kv, compare('m', LEASE, EQUAL, leaseId(0n))), true);
    }));

  it('fails every value compare on a missing key, even against the empty value', () =>
    withKv((kv) => {
      assert.equal(holds(kv, compare('m', VALUE, EQUAL, value(''))), false);
      assert.equal(holds(kv, compare('m', VALUE, NOT_EQUAL, value('x'))), false);
    }));

  it('needs every key of a range to satisfy the compare', () =>
    withKv((kv) => {
      kv.seed('a', '1');
      kv.seed('b', '1');
      kv.seed('b', '2');
      assert.equal(holds(kv, compare('a', VERSION, GREATER, version(0n), bytes('c'))), true);
      assert.equal(holds(kv, compare('a', VERSION, EQUAL, version(1n), bytes('c'))), false);
      assert.equal(holds(kv, compare('a', VERSION, EQUAL, version(1n), bytes('b'))), true);
      assert.equal(holds(kv, compare('a', VERSION, LESS, version(3n), FROM_KEY)), true);
    }));

  it('compares an empty range as a missing key', () =>
    withKv((kv) => {
      kv.seed('a', '1');
      assert.equal(holds(kv, compare('x', VERSION, EQUAL, version(0n), bytes('z'))), true);
      assert.equal(holds(kv, compare('x', VALUE, NOT_EQUAL, value('1'), bytes('z'))), false);
    }));

  it('compares over a prefix', () =>
    withKv((kv) => {
      kv.seed('job/1', 'done');
      kv.seed('job/2', 'done');
      kv.seed('jobs', 'x');
      const allDone = compare('job/', VALUE, EQUAL, value('done'), prefixEnd('job/'));
      assert.equal(holds(kv, allDone), true);
    }));
});

describe('applyTxn: branches and revisions', () => {
  it('runs the success branch when the compares hold and the failure branch otherwise', () =>
    withKv((kv) => {
      kv.seed('flag', 'on');
      const request = (expected: string): TxnRequest =>
        txn({
          compare: [compare('flag', VALUE, EQUAL, value(expected))],
          success: [putOp('chosen', 'success'), rangeOp('chosen')],
          failure: [putOp('chosen', 'failure'), rangeOp('chosen')],
        });
      const hit = run(kv, request('on'));
      assert.equal(hit.succeeded, true);
      assert.deepEqual(rangeValues(hit.responses[1]), ['success']);
      const miss = run(kv, request('off'));
      assert.equal(miss.succeeded, false);
      assert.deepEqual(rangeValues(miss.responses[1]), ['failure']);
      assert.equal(kv.get('chosen')?.value.toString(), 'failure');
    }));

  it('writes the whole txn at one revision, and reports it on every op', () =>
    withKv((kv) => {
      kv.seed('gone', 'x');
      const response = run(kv, txn({ success: [putOp('a', '1'), putOp('b', '2'), delOp('gone')] }));
      assert.equal(kv.revision, 3);
      assert.equal(kv.get('a')?.modRevision, 3n);
      assert.equal(kv.get('b')?.modRevision, 3n);
      assert.equal(kv.get('gone'), undefined);
      assert.deepEqual(
        response.responses.map((op) => op.response?.value.header?.revision),
        [3n, 3n, 3n],
      );
      assert.equal(response.header, undefined);
    }));

  it('does not advance the revision when nothing changes', () =>
    withKv((kv) => {
      kv.seed('a', '1');
      const response = run(kv, txn({ success: [rangeOp('a'), delOp('missing')] }));
      assert.equal(kv.revision, 2);
      const revisions = response.responses.map((op) => op.response?.value.header?.revision);
      assert.deepEqual(revisions, [2n, 2n]);
    }));

  it('lets later ops read what earlier ops of the same txn wrote', () =>
    withKv((kv) => {
      kv.seed('a', 'old');
      const response = run(
        kv,
        txn({ success: [rangeOp('a'), putOp('a', 'new'), rangeOp('a'), delOp('a'), rangeOp('a')] }),
      );
      assert.deepEqual(rangeValues(response.responses[0]), ['old']);
      assert.deepEqual(rangeValues(response.responses[2]), ['new']);
      assert.deepEqual(rangeValues(response.responses[4]), []);
      assert.equal(response.responses[2]?.response?.value.header?.revision, 3n);
    }));

  it('puts a key twice in one txn as two versions at the same revision', () =>
    withKv((kv) => {
      run(kv, txn({ success: [putOp('n', 'first'), putOp('n', '', { ignoreValue: true })] }));
      const stored = kv.get('n');
      assert.deepEqual(
        [stored?.value.toString(), stored?.version, stored?.modRevision],
        ['first', 2n, 2n],
      );
    }));
});

describe('applyTxn: nested txns', () => {
  it('runs a nested txn in place and returns its responses inside the outer ones', () =>
    withKv((kv) => {
      kv.seed('x', '1');
      const response = run(
        kv,
        txn({
          success: [
            putOp('before', 'b'),
            txnOp({
              compare: [compare('x', VALUE, EQUAL, value('2'))],
              success: [putOp('inner', 'success')],
              failure: [putOp('inner', 'failure'), rangeOp('before')],
            }),
            putOp('after', 'a'),
          ],
        }),
      );
      const nested = response.responses[1]?.response;
      assert.equal(nested?.$case, 'responseTxn');
      assert.equal(nested.value.succeeded, false);
      assert.equal(nested.value.responses.length, 2);
      assert.deepEqual(rangeValues(nested.value.responses[1]), ['b']);
      // etcd gives a nested txn an empty header.
      assert.equal(nested.value.header?.revision, 0n);
      assert.equal(kv.get('inner')?.value.toString(), 'failure');
      assert.deepEqual(
        ['before', 'inner', 'after'].map((key) => kv.get(key)?.modRevision),
        [3n, 3n, 3n],
      );
    }));

  it('evaluates nested compares against the state before the txn, as etcd does', () =>
    withKv((kv) => {
      kv.seed('k', 'before');
      run(
        kv,
        txn({
          success: [
            putOp('k', 'after'),
            txnOp({
              compare: [compare('k', VALUE, EQUAL, value('before'))],
              success: [putOp('seen', 'before')],
              failure: [putOp('seen', 'after')],
            }),
          ],
        }),
      );
      assert.equal(kv.get('seen')?.value.toString(), 'before');
    }));
});

describe('applyTxn: all or nothing', () => {
  it('writes nothing when a later put needs a missing key', () =>
    withKv((kv) => {
      failsWithNothingWritten(
        kv,
        'KeyNotFound',
        txn({ success: [putOp('a', '1'), putOp('missing', '', { ignoreValue: true })] }),
      );
      failsWithNothingWritten(
        kv,
        'KeyNotFound',
        txn({ success: [delOp('a'), putOp('missing', 'v', { ignoreLease: true })] }),
      );
      assert.equal(kv.get('a'), undefined);
    }));

  it('writes nothing when a nested put names a lease that does not exist', () =>
    withKv((kv) => {
      failsWithNothingWritten(
        kv,
        'LeaseNotFound',
        txn({
          success: [
            putOp('a', '1'),
            txnOp({
              compare: [compare('a', VERSION, EQUAL, version(1n))],
              failure: [putOp('b', '2', { lease: 9n })],
            }),
          ],
        }),
        new RecordingLeases([1n]),
      );
    }));

  it('judges ignore_value by what the txn will have done when the put runs', () =>
    withKv((kv) => {
      kv.seed('b', 'v');
      // A from-key delete slips past the duplicate-key rule; etcd would fail mid-txn.
      failsWithNothingWritten(
        kv,
        'KeyNotFound',
        txn({
          success: [delOp('a', { rangeEnd: FROM_KEY }), putOp('b', '', { ignoreValue: true })],
        }),
      );
      assert.equal(kv.get('b')?.value.toString(), 'v');
    }));

  it('ignores a failing op in the branch that does not run', () =>
    withKv((kv) => {
      const response = run(
        kv,
        txn({ success: [putOp('a', '1')], failure: [putOp('missing', '', { ignoreValue: true })] }),
      );
      assert.equal(response.succeeded, true);
      assert.equal(kv.get('a')?.value.toString(), '1');
    }));

  it('refuses a range at a future revision, even the one the txn writes', () =>
    withKv((kv) => {
      kv.seed('a', '1');
      const request = txn({ success: [putOp('b', '1'), rangeOp('a', { revision: 3n })] });
      failsWithNothingWritten(kv, 'FutureRev', request);
    }));

  it('refuses a compacted revision but reads the compact revision itself', () =>
    withKv(async (kv) => {
      kv.seed('a', '1');
      kv.seed('a', '2');
      kv.seed('a', '3');
      await kv.store.compact(3).physical;
      const compacted = txn({ success: [putOp('b', '1'), rangeOp('a', { revision: 2n })] });
      failsWithNothingWritten(kv, 'Compacted', compacted);
      const response = run(kv, txn({ success: [putOp('b', '1'), rangeOp('a', { revision: 3n })] }));
      assert.deepEqual(rangeValues(response.responses[1]), ['2']);
    }));

  it('reports a put error before a range error, as etcd checks puts first', () =>
    withKv((kv) => {
      failsWithNothingWritten(
        kv,
        'LeaseNotFound',
        txn({ success: [rangeOp('a', { revision: 99n }), putOp('b', '1', { lease: 4n })] }),
      );
    }));

  it('reports a missing key before a missing lease on the same put, as etcd does in a txn', () =>
    withKv((kv) => {
      failsWithNothingWritten(
        kv,
        'KeyNotFound',
        txn({ success: [putOp('b', '', { ignoreValue: true, lease: 4n })] }),
      );
    }));
});

describe('applyTxn: leases', () => {
  it('tells the lease module about keys a txn attaches and deletes', () =>
    withKv((kv) => {
      kv.seed('old', 'v', 3n);
      const leases = new RecordingLeases([3n, 4n]);
      run(kv, txn({ success: [putOp('new', 'v', { lease: 4n }), delOp('old')] }), leases);
      assert.deepEqual(leases.calls, ['attach 4 new', 'detach 3 old']);
    }));
});

describe('read-only txns', () => {
  it('recognises a txn of ranges only, at the top level', () => {
    assert.equal(isTxnReadOnly(txn({ success: [rangeOp('a')], failure: [rangeOp('b')] })), true);
    assert.equal(isTxnReadOnly(txn({})), true);
    assert.equal(isTxnReadOnly(txn({ failure: [putOp('a', '1')] })), false);
    assert.equal(isTxnReadOnly(txn({ success: [delOp('a')] })), false);
    assert.equal(isTxnReadOnly(txn({ success: [txnOp({ success: [rangeOp('a')] })] })), false);
  });

  it('serves a read-only txn from a read view', () =>
    withKv((kv) => {
      kv.seed('a', '1');
      kv.seed('b', '2');
      const response = applyReadOnlyTxn(
        kv.read(),
        txn({
          compare: [compare('a', VALUE, EQUAL, value('1'))],
          success: [rangeOp('a', { rangeEnd: FROM_KEY }), rangeOp('a', { revision: 2n })],
        }),
      );
      assert.equal(response.succeeded, true);
      const first = response.responses[0]?.response;
      assert.equal(first?.$case, 'responseRange');
      assert.deepEqual(keysOf(first.value.kvs), ['a', 'b']);
      assert.equal(first.value.header?.revision, 3n);
      assert.deepEqual(rangeValues(response.responses[1]), ['1']);
    }));

  it('refuses a future revision in a read-only txn', () =>
    withKv((kv) => {
      assert.throws(
        () => applyReadOnlyTxn(kv.read(), txn({ success: [rangeOp('a', { revision: 5n })] })),
        (error: unknown) => isEtcdError(error) && error.code === 'FutureRev',
      );
    }));
});
