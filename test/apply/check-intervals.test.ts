// etcd's duplicate-key rule for txns: what a branch may put and delete together.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEtcdError } from '../../src/errors/etcd-error.js';
import { checkTxnRequest } from '../../src/apply/index.js';
import type { RequestOp } from '../../src/generated/etcdserverpb/rpc.js';
import { FROM_KEY, bytes, delOp, putOp, rangeOp, txn, txnOp } from './requests.js';

const MAX_TXN_OPS = 128;

function checkSuccess(ops: RequestOp[]): void {
  checkTxnRequest(txn({ success: ops }), MAX_TXN_OPS);
}

function rejectsDuplicate(ops: RequestOp[]): void {
  assert.throws(
    () => checkSuccess(ops),
    (error: unknown) => isEtcdError(error) && error.code === 'DuplicateKey',
  );
  // The failure branch is held to the same rule.
  assert.throws(
    () => checkTxnRequest(txn({ failure: ops }), MAX_TXN_OPS),
    (error: unknown) => isEtcdError(error) && error.code === 'DuplicateKey',
  );
}

describe('duplicate keys within one branch', () => {
  it('rejects putting a key twice', () => {
    rejectsDuplicate([putOp('k', '1'), putOp('k', '2')]);
  });

  it('rejects putting and deleting the same key, in either order', () => {
    rejectsDuplicate([putOp('k', '1'), delOp('k')]);
    rejectsDuplicate([delOp('k'), putOp('k', '1')]);
  });

  it('rejects a put inside a deleted range, but not at its exclusive end', () => {
    rejectsDuplicate([delOp('a', { rangeEnd: bytes('c') }), putOp('b', '1')]);
    rejectsDuplicate([delOp('a', { rangeEnd: bytes('c') }), putOp('a', '1')]);
    checkSuccess([delOp('a', { rangeEnd: bytes('c') }), putOp('c', '1')]);
  });

  it('allows ranges, distinct puts and overlapping deletes together', () => {
    checkSuccess([
      rangeOp('k'),
      putOp('a', '1'),
      putOp('b', '1'),
      delOp('c', { rangeEnd: bytes('e') }),
      delOp('d'),
      rangeOp('k'),
    ]);
  });

  it('lets a from-key delete and a put coexist, as etcd compares "\\0" literally', () => {
    checkSuccess([delOp('a', { rangeEnd: FROM_KEY }), putOp('b', '1')]);
  });

  it('judges the success and failure branches separately', () => {
    checkTxnRequest(txn({ success: [putOp('k', '1')], failure: [putOp('k', '2')] }), MAX_TXN_OPS);
  });
});

describe('duplicate keys across nested txns', () => {
  it('lets the then and else branches of one nested txn put the same key', () => {
    checkSuccess([txnOp({ success: [putOp('k', '1')], failure: [putOp('k', '2')] })]);
  });

  it('rejects a nested put of a key the enclosing branch also puts', () => {
    rejectsDuplicate([txnOp({ success: [putOp('k', '1')] }), putOp('k', '2')]);
    rejectsDuplicate([putOp('k', '2'), txnOp({ failure: [putOp('k', '1')] })]);
  });

  it('rejects a nested put of a key the enclosing branch deletes', () => {
    rejectsDuplicate([delOp('a', { rangeEnd: bytes('z') }), txnOp({ success: [putOp('k', '1')] })]);
  });

  it('rejects a put of a key that a nested txn deletes', () => {
    rejectsDuplicate([txnOp({ failure: [delOp('k')] }), putOp('k', '1')]);
  });

  it('rejects two sibling nested txns putting the same key', () => {
    const first = txnOp({ success: [putOp('k', '1')] });
    rejectsDuplicate([first, txnOp({ success: [putOp('k', '2')] })]);
    rejectsDuplicate([first, txnOp({ failure: [putOp('k', '2')] })]);
  });

  it('rejects a later sibling putting what an earlier sibling deletes', () => {
    rejectsDuplicate([txnOp({ success: [delOp('k')] }), txnOp({ success: [putOp('k', '1')] })]);
  });

  it('lets a later sibling delete what an earlier sibling puts, as etcd does', () => {
    checkSuccess([txnOp({ success: [putOp('k', '1')] }), txnOp({ success: [delOp('k')] })]);
  });

  it('finds duplicates two levels deep', () => {
    const deep = txnOp({ success: [txnOp({ failure: [putOp('k', '1')] })] });
    rejectsDuplicate([deep, putOp('k', '2')]);
  });
});
