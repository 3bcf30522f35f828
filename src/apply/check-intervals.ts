// etcd's duplicate-key rule for one txn branch: a key may be put at most once, and
// never put where the same branch deletes, with nested txns folded in as etcd does.
import type { RequestOp } from '../generated/etcdserverpb/rpc.js';
import { EtcdError } from '../errors/etcd-error.js';

/** A deleted interval [begin, end); an empty `end` sorts after every key. */
interface DeleteInterval {
  readonly begin: Buffer;
  readonly end: Buffer;
}

interface BranchWrites {
  /** Put keys, as latin1 strings (one char per byte). */
  readonly puts: Set<string>;
  readonly dels: DeleteInterval[];
}

const ZERO_BYTE = Buffer.from([0]);

/**
 * Throws EtcdError('DuplicateKey') if the branch puts a key twice or puts a key it
 * also deletes. Faithful to etcd's quirks, which clients can observe:
 * - a then-branch and an else-branch of one nested txn may put the same key;
 * - a range_end of "\0" (from-key) compares as a literal byte here, so a from-key
 *   delete never conflicts with a put;
 * - a nested txn's put is checked against deletes of this level and of earlier
 *   nested txns only, so a later sibling txn may delete it.
 * The branch size is bounded by checkTxnRequest before this runs.
 */
export function checkIntervals(ops: readonly RequestOp[]): void {
  collectBranchWrites(ops);
}

function collectBranchWrites(ops: readonly RequestOp[]): BranchWrites {
  const dels: DeleteInterval[] = [];
  for (const op of ops) {
    if (op.request?.$case !== 'requestDeleteRange') continue;
    const { key, rangeEnd } = op.request.value;
    dels.push(rangeEnd.length !== 0 ? { begin: key, end: rangeEnd } : pointInterval(key));
  }

  const puts = new Set<string>();
  for (const op of ops) {
    if (op.request?.$case !== 'requestTxn') continue;
    const then = collectBranchWrites(op.request.value.success);
    const otherwise = collectBranchWrites(op.request.value.failure);
    for (const key of then.puts) addPut(puts, dels, key);
    for (const key of otherwise.puts) {
      // Then and else exclude each other, so the same key in both is fine (and was
      // already checked against the deletes, which have not changed since).
      if (!then.puts.has(key)) addPut(puts, dels, key);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }

  for (const op of ops) {
    if (op.request?.$case !== 'requestPut') continue;
    addPut(puts, dels, op.request.value.key.toString('latin1'));
  }
  return { puts, dels };
}

function addPut(puts: Set<string>, dels: readonly DeleteInterval[], key: string): void {
  if (puts.has(key) || deletesKey(dels, key)) throw new EtcdError('DuplicateKey');
  puts.add(key);
}

function deletesKey(dels: readonly DeleteInterval[], key: string): boolean {
  const point = pointInterval(Buffer.from(key, 'latin1'));
  return dels.some((interval) => overlaps(point, interval));
}

function pointInterval(key: Buffer): DeleteInterval {
  return { begin: key, end: Buffer.concat([key, ZERO_BYTE]) };
}

/** Neither interval lies wholly before or wholly after the other. */
function overlaps(a: DeleteInterval, b: DeleteInterval): boolean {
  const before = compareBound(a.begin, b.begin) < 0 && compareBound(a.end, b.begin) <= 0;
  const after = compareBound(a.begin, b.end) >= 0;
  return !before && !after;
}

/** Byte order, except that an empty bound is greater than everything (open end). */
function compareBound(a: Buffer, b: Buffer): number {
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  if (b.length === 0) return -1;
  return Buffer.compare(a, b);
}
