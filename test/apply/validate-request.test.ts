// The checks made at the API edge before a KV request is proposed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEtcdError, type EtcdErrorCode } from '../../src/errors/etcd-error.js';
import {
  checkDeleteRequest,
  checkPutRequest,
  checkRangeRequest,
  checkTxnRequest,
} from '../../src/apply/index.js';
import {
  CompareResult,
  CompareTarget,
  compare,
  del,
  delOp,
  put,
  putOp,
  range,
  rangeOp,
  txn,
  txnOp,
  version,
} from './requests.js';

const MAX_TXN_OPS = 128;

function rejectsWith(code: EtcdErrorCode, check: () => void): void {
  assert.throws(check, (error: unknown) => isEtcdError(error) && error.code === code);
}

describe('checkRangeRequest', () => {
  it('rejects an empty key and accepts any other', () => {
    rejectsWith('EmptyKey', () => checkRangeRequest(range('')));
    checkRangeRequest(range('a', { rangeEnd: Buffer.from([0]) }));
  });

  it('lets unknown sort enums through, as etcd 3.5 does', () => {
    // Numbers outside the enums, as they would arrive from the wire.
    const request = range('a');
    request.sortOrder = Number('7');
    request.sortTarget = Number('9');
    checkRangeRequest(request);
  });
});

describe('checkPutRequest', () => {
  it('rejects an empty key', () => {
    rejectsWith('EmptyKey', () => checkPutRequest(put('', 'v')));
  });

  it('rejects ignore_value with a value, but not with an empty one', () => {
    rejectsWith('ValueProvided', () => checkPutRequest(put('k', 'v', { ignoreValue: true })));
    checkPutRequest(put('k', '', { ignoreValue: true }));
  });

  it('rejects ignore_lease with a lease, but not with lease 0', () => {
    rejectsWith('LeaseProvided', () =>
      checkPutRequest(put('k', 'v', { ignoreLease: true, lease: 5n })),
    );
    checkPutRequest(put('k', 'v', { ignoreLease: true }));
  });
});

describe('checkDeleteRequest', () => {
  it('rejects an empty key', () => {
    rejectsWith('EmptyKey', () => checkDeleteRequest(del('')));
    checkDeleteRequest(del('k'));
  });
});

describe('checkTxnRequest: size and shape', () => {
  const puts = (count: number) => Array.from({ length: count }, (_, i) => putOp(`k${i}`, 'v'));

  it('allows exactly maxTxnOps ops in a branch and rejects one more', () => {
    checkTxnRequest(txn({ success: puts(MAX_TXN_OPS) }), MAX_TXN_OPS);
    rejectsWith('TooManyOps', () =>
      checkTxnRequest(txn({ failure: puts(MAX_TXN_OPS + 1) }), MAX_TXN_OPS),
    );
  });

  it('counts compares against the limit too', () => {
    const compares = Array.from({ length: 3 }, (_, i) =>
      compare(`c${i}`, CompareTarget.VERSION, CompareResult.EQUAL, version(0n)),
    );
    rejectsWith('TooManyOps', () => checkTxnRequest(txn({ compare: compares }), 2));
  });

  it('gives a nested txn only what its parent left over', () => {
    // The parent uses 2 of 4, so a nested txn with 3 ops is too many.
    const nested = txnOp({ success: puts(3) });
    rejectsWith('TooManyOps', () =>
      checkTxnRequest(txn({ success: [nested, putOp('x', 'v')] }), 4),
    );
    checkTxnRequest(txn({ success: [txnOp({ success: puts(2) }), putOp('x', 'v')] }), 4);
  });

  it('rejects an empty compare key and an empty key in any op, nested too', () => {
    const emptyCompare = compare('', CompareTarget.VERSION, CompareResult.EQUAL, version(0n));
    rejectsWith('EmptyKey', () => checkTxnRequest(txn({ compare: [emptyCompare] }), MAX_TXN_OPS));
    rejectsWith('EmptyKey', () => checkTxnRequest(txn({ failure: [rangeOp('')] }), MAX_TXN_OPS));
    rejectsWith('EmptyKey', () =>
      checkTxnRequest(txn({ success: [txnOp({ failure: [delOp('')] })] }), MAX_TXN_OPS),
    );
  });

  it('applies the put flag rules inside a txn', () => {
    rejectsWith('ValueProvided', () =>
      checkTxnRequest(txn({ success: [putOp('k', 'v', { ignoreValue: true })] }), MAX_TXN_OPS),
    );
    rejectsWith('LeaseProvided', () =>
      checkTxnRequest(
        txn({ success: [putOp('k', 'v', { ignoreLease: true, lease: 1n })] }),
        MAX_TXN_OPS,
      ),
    );
  });

  it('answers an op with no request as KeyNotFound, like etcd', () => {
    rejectsWith('KeyNotFound', () =>
      checkTxnRequest(txn({ success: [{ request: undefined }] }), MAX_TXN_OPS),
    );
  });

  it('checks size before the duplicate-key rule', () => {
    const duplicated = [...puts(2), putOp('k0', 'again')];
    rejectsWith('TooManyOps', () => checkTxnRequest(txn({ success: duplicated }), 2));
    rejectsWith('DuplicateKey', () => checkTxnRequest(txn({ success: duplicated }), 3));
  });
});
