// Checks a planned txn before its first write, so a txn either applies whole or
// fails with nothing written: the errors etcd's checkTxn finds, in etcd's order.
import { EtcdError } from '../errors/etcd-error.js';
import type { ReadView } from '../mvcc/kv-view.js';
import { currentKv } from './apply-put.js';
import { keyInRange } from './key-range.js';
import { NO_LEASE, type LeaseLookup } from './lease-hooks.js';
import { forEachPlannedOp, type TxnPlan } from './txn-plan.js';

/** A write the txn will have made by the time a later op runs. */
interface PlannedWrite {
  readonly deletes: boolean;
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
}

/**
 * Throws EtcdError('KeyNotFound') for an ignore_value / ignore_lease put whose key
 * will not exist when it runs, EtcdError('LeaseNotFound') for an unknown lease.
 * Existence is judged against the state the put will see, including earlier ops of
 * the same txn (etcd judges the state before the txn and would fail mid-way).
 */
export function checkPlannedPuts(view: ReadView, plan: TxnPlan, leases: LeaseLookup): void {
  const writes: PlannedWrite[] = [];
  forEachPlannedOp(plan, (op) => {
    if (op.$case === 'requestDeleteRange') {
      writes.push({ deletes: true, key: op.value.key, rangeEnd: op.value.rangeEnd });
      return;
    }
    if (op.$case !== 'requestPut') return;
    const put = op.value;
    if ((put.ignoreValue || put.ignoreLease) && !existsAfter(view, writes, put.key)) {
      throw new EtcdError('KeyNotFound');
    }
    if (put.lease !== NO_LEASE && !leases.has(put.lease)) throw new EtcdError('LeaseNotFound');
    writes.push({ deletes: false, key: put.key, rangeEnd: Buffer.alloc(0) });
  });
}

/** Throws EtcdError('FutureRev' | 'Compacted') for a range the txn cannot serve. */
export function checkPlannedRanges(view: ReadView, plan: TxnPlan): void {
  forEachPlannedOp(plan, (op) => {
    if (op.$case === 'requestRange') checkRangeRevision(view, op.value.revision);
  });
}

/**
 * Judged against the revision before the txn, so a range cannot ask for the
 * revision the txn itself is writing. As in etcd, the compact revision itself is
 * readable, and a negative revision is compared with the compact revision, which
 * etcd holds as -1 before the first compaction (so only -1 passes then).
 */
function checkRangeRevision(view: ReadView, revision: bigint): void {
  if (revision === 0n) return;
  if (revision > BigInt(view.revision)) throw new EtcdError('FutureRev');
  const compacted = BigInt(view.compactRevision);
  const firstRevision = compacted === 0n ? -1n : compacted;
  if (revision < firstRevision) throw new EtcdError('Compacted');
}

function existsAfter(view: ReadView, writes: readonly PlannedWrite[], key: Buffer): boolean {
  for (let index = writes.length - 1; index >= 0; index -= 1) {
    const write = writes[index];
    if (write !== undefined && keyInRange(key, write.key, write.rangeEnd)) return !write.deletes;
  }
  return currentKv(view, key) !== undefined;
}
