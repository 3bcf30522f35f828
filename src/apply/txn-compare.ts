// Evaluates a txn's compares against a read view, with etcd's rules for missing
// keys, empty ranges and mismatched target values.
import {
  Compare_CompareResult as CompareResult,
  Compare_CompareTarget as CompareTarget,
  type Compare,
} from '../generated/etcdserverpb/rpc.js';
import type { KeyValue } from '../generated/mvccpb/kv.js';
import { isEtcdError } from '../errors/etcd-error.js';
import type { KeyVersion } from '../mvcc/key-versions.js';
import type { ReadView } from '../mvcc/kv-view.js';
import { compareBigints } from './key-range.js';

/** What a missing key compares as: version, revisions and lease all zero. */
const ABSENT_KV: KeyValue = {
  key: Buffer.alloc(0),
  createRevision: 0n,
  modRevision: 0n,
  version: 0n,
  value: Buffer.alloc(0),
  lease: 0n,
};

const READ_ALL_CURRENT = { revision: 0, limit: 0, countOnly: false } as const;

/** True when every compare holds (and so when there are none). */
export function compareAll(view: ReadView, compares: readonly Compare[]): boolean {
  return compares.every((compare) => compareHolds(view, compare));
}

/**
 * Every key in the compare's range must satisfy it. An empty range (or missing
 * key) compares as a zeroed key-value, except that a VALUE compare then always
 * fails: there is no value to compare, and an empty value would be a lie.
 */
export function compareHolds(view: ReadView, compare: Compare): boolean {
  if (INDEX_TARGETS.has(compare.target)) return compareIndexed(view, compare);
  let kvs: readonly KeyValue[];
  try {
    kvs = view.range(compare.key, compare.rangeEnd, READ_ALL_CURRENT).kvs;
  } catch (error) {
    // etcd treats a compare it cannot read as false rather than failing the txn.
    if (isEtcdError(error)) return false;
    throw error;
  }
  if (kvs.length === 0) {
    return compare.target === CompareTarget.VALUE ? false : compareKv(compare, ABSENT_KV);
  }
  return kvs.every((kv) => compareKv(compare, kv));
}

/** Targets the key index knows without the stored record. */
const INDEX_TARGETS: ReadonlySet<CompareTarget> = new Set([CompareTarget.VERSION, CompareTarget.CREATE, CompareTarget.MOD]);
const ABSENT_VERSION: KeyVersion = { createRevision: 0, modRevision: 0, version: 0 };

/** compareHolds for a VERSION, CREATE or MOD target, read from the key index alone. */
function compareIndexed(view: ReadView, compare: Compare): boolean {
  const found = view.keyVersions(compare.key, compare.rangeEnd);
  const holds = (key: KeyVersion): boolean => resultHolds(compare.result, indexedOrder(compare, key));
  return found.length === 0 ? holds(ABSENT_VERSION) : found.every(holds);
}

function indexedOrder(compare: Compare, key: KeyVersion): number {
  const operand = compare.targetUnion;
  switch (compare.target) {
    case CompareTarget.VERSION:
      return compareBigints(BigInt(key.version), operand?.$case === 'version' ? operand.value : 0n);
    case CompareTarget.CREATE:
      return compareBigints(BigInt(key.createRevision), operand?.$case === 'createRevision' ? operand.value : 0n);
    default:
      return compareBigints(BigInt(key.modRevision), operand?.$case === 'modRevision' ? operand.value : 0n);
  }
}

function compareKv(compare: Compare, kv: KeyValue): boolean {
  return resultHolds(compare.result, targetOrder(compare, kv));
}

function resultHolds(result: CompareResult, order: number): boolean {
  switch (result) {
    case CompareResult.EQUAL:
      return order === 0;
    case CompareResult.NOT_EQUAL:
      return order !== 0;
    case CompareResult.GREATER:
      return order > 0;
    case CompareResult.LESS:
      return order < 0;
    default:
      // etcd lets an unknown result pass.
      return true;
  }
}

/**
 * How the key's field orders against the compare's operand. An operand of another
 * kind than the target (or none) counts as zero or the empty value, as in etcd; an
 * unknown target orders as equal.
 */
function targetOrder(compare: Compare, kv: KeyValue): number {
  const operand = compare.targetUnion;
  switch (compare.target) {
    case CompareTarget.VALUE:
      return Buffer.compare(kv.value, operand?.$case === 'value' ? operand.value : Buffer.alloc(0));
    case CompareTarget.VERSION:
      return compareBigints(kv.version, operand?.$case === 'version' ? operand.value : 0n);
    case CompareTarget.CREATE:
      return compareBigints(
        kv.createRevision,
        operand?.$case === 'createRevision' ? operand.value : 0n,
      );
    case CompareTarget.MOD:
      return compareBigints(kv.modRevision, operand?.$case === 'modRevision' ? operand.value : 0n);
    case CompareTarget.LEASE:
      return compareBigints(kv.lease, operand?.$case === 'lease' ? operand.value : 0n);
    default:
      return 0;
  }
}
