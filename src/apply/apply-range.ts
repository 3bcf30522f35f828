// Range request semantics on top of a ReadView: revision filters, sorting,
// limit with the `more` flag, keys_only and count_only, exactly as etcd answers.
import {
  RangeRequest_SortOrder as SortOrder,
  RangeRequest_SortTarget as SortTarget,
  type RangeRequest,
  type RangeResponse,
} from '../generated/etcdserverpb/rpc.js';
import type { KeyValue } from '../generated/mvccpb/kv.js';
import { encodedRangeResponse } from '../mvcc/encoded-range-response.js';
import type { ReadView } from '../mvcc/kv-view.js';
import { assert } from '../util/assert.js';
import { compareBigints } from './key-range.js';

type KvComparator = (a: KeyValue, b: KeyValue) => number;

/**
 * Serves a range from `view`. The header is left undefined for the caller to fill
 * (its revision is `view.revision`). Throws EtcdError('Compacted' | 'FutureRev')
 * from the view when the requested revision is not readable.
 */
export function applyRange(view: ReadView, req: RangeRequest): RangeResponse {
  if (forwardsRecords(req)) return rangeOfRecords(view, req);
  const result = view.range(req.key, req.rangeEnd, {
    revision: readRevision(req.revision),
    limit: fetchLimit(req),
    countOnly: req.countOnly,
  });
  let kvs = result.kvs.filter(revisionFilter(req));
  const comparator = sortComparator(req.sortOrder, req.sortTarget);
  if (comparator !== undefined) kvs = [...kvs].sort(comparator);

  let more = false;
  if (req.limit > 0n && BigInt(kvs.length) > req.limit) {
    kvs = kvs.slice(0, Number(req.limit));
    more = true;
  }
  if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: Buffer.alloc(0) }));
  // etcd counts every key in the range at the revision, before filters and limit.
  return { header: undefined, kvs, more, count: BigInt(result.count) };
}

/**
 * A plain range (key order, no filters, whole keys) answers with the keys exactly
 * as stored, so it hands on the stored records undecoded; the rest need the fields.
 */
function forwardsRecords(req: RangeRequest): boolean {
  return (
    !req.keysOnly &&
    !req.countOnly &&
    req.sortOrder === SortOrder.NONE &&
    req.sortTarget === SortTarget.KEY &&
    req.minModRevision === 0n &&
    req.maxModRevision === 0n &&
    req.minCreateRevision === 0n &&
    req.maxCreateRevision === 0n
  );
}

/** applyRange for a request forwardsRecords accepts: the same keys, more and count. */
function rangeOfRecords(view: ReadView, req: RangeRequest): RangeResponse {
  const result = view.range(req.key, req.rangeEnd, {
    revision: readRevision(req.revision),
    limit: fetchLimit(req),
    countOnly: false,
    encoded: true,
  });
  let records = result.records;
  assert(records !== undefined, 'an encoded range returned no records');
  let more = false;
  if (req.limit > 0n && BigInt(records.length) > req.limit) {
    records = records.slice(0, Number(req.limit));
    more = true;
  }
  return encodedRangeResponse(records, more, BigInt(result.count));
}

/** etcd reads at the current revision for any revision <= 0. */
function readRevision(revision: bigint): number {
  return revision <= 0n ? 0 : Number(revision);
}

/**
 * Sorting or filtering can reorder or drop keys, so etcd then fetches every key;
 * otherwise one extra key tells whether there is `more`. A negative limit is no limit.
 */
function fetchLimit(req: RangeRequest): number {
  const fetchesAll =
    req.sortOrder !== SortOrder.NONE ||
    req.minModRevision !== 0n ||
    req.maxModRevision !== 0n ||
    req.minCreateRevision !== 0n ||
    req.maxCreateRevision !== 0n;
  if (fetchesAll || req.limit <= 0n) return 0;
  return Number(req.limit) + 1;
}

function revisionFilter(req: RangeRequest): (kv: KeyValue) => boolean {
  const { minModRevision, maxModRevision, minCreateRevision, maxCreateRevision } = req;
  return (kv) =>
    (maxModRevision === 0n || kv.modRevision <= maxModRevision) &&
    (minModRevision === 0n || kv.modRevision >= minModRevision) &&
    (maxCreateRevision === 0n || kv.createRevision <= maxCreateRevision) &&
    (minCreateRevision === 0n || kv.createRevision >= minCreateRevision);
}

/**
 * The view already returns keys ascending, so KEY with NONE needs no sort; any
 * other target with NONE sorts ascending, as etcd does. An unknown order or target
 * (rejected at the API edge since etcd 3.5) leaves the key order as it is.
 */
function sortComparator(order: SortOrder, target: SortTarget): KvComparator | undefined {
  const effectiveOrder =
    target !== SortTarget.KEY && order === SortOrder.NONE ? SortOrder.ASCEND : order;
  if (effectiveOrder !== SortOrder.ASCEND && effectiveOrder !== SortOrder.DESCEND) {
    return undefined;
  }
  const ascending = targetComparator(target);
  if (ascending === undefined) return undefined;
  // A stable sort keeps equal elements in key order in both directions, which is
  // what etcd's sort shows for the small result sets clients usually sort.
  return effectiveOrder === SortOrder.ASCEND ? ascending : (a, b) => ascending(b, a);
}

function targetComparator(target: SortTarget): KvComparator | undefined {
  switch (target) {
    case SortTarget.KEY:
      return (a, b) => Buffer.compare(a.key, b.key);
    case SortTarget.VERSION:
      return (a, b) => compareBigints(a.version, b.version);
    case SortTarget.CREATE:
      return (a, b) => compareBigints(a.createRevision, b.createRevision);
    case SortTarget.MOD:
      return (a, b) => compareBigints(a.modRevision, b.modRevision);
    case SortTarget.VALUE:
      return (a, b) => Buffer.compare(a.value, b.value);
    case SortTarget.UNRECOGNIZED:
      return undefined;
    default:
      return undefined;
  }
}
