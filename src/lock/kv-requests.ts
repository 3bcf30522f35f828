// The few KV requests the Lock and Election services make, built as etcd's
// concurrency package builds them (prefix ranges sorted by create revision, limit 1).
import {
  Compare,
  Compare_CompareResult,
  Compare_CompareTarget,
  RangeRequest,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  type RequestOp,
} from '../generated/etcdserverpb/rpc.js';

/** The end of the range holding every key that starts with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let at = end.length - 1; at >= 0; at--) {
    if (end[at]! < 0xff) {
      end[at]! += 1;
      return end.subarray(0, at + 1);
    }
  }
  // Only 0xff bytes: every key from the prefix on.
  return Buffer.from([0]);
}

/** The oldest key under the prefix (the owner of a lock, the leader of an election). */
export function firstCreated(prefix: Buffer): RangeRequest {
  return RangeRequest.fromPartial({
    key: prefix,
    rangeEnd: prefixEnd(prefix),
    limit: 1n,
    sortOrder: RangeRequest_SortOrder.ASCEND,
    sortTarget: RangeRequest_SortTarget.CREATE,
  });
}

/** The newest key under the prefix created at or before `maxCreateRevision`. */
export function lastCreatedUpTo(prefix: Buffer, maxCreateRevision: bigint): RangeRequest {
  return RangeRequest.fromPartial({
    key: prefix,
    rangeEnd: prefixEnd(prefix),
    limit: 1n,
    sortOrder: RangeRequest_SortOrder.DESCEND,
    sortTarget: RangeRequest_SortTarget.CREATE,
    maxCreateRevision,
  });
}

export function createRevisionIs(key: Buffer, revision: bigint): Compare {
  return Compare.fromPartial({
    key,
    target: Compare_CompareTarget.CREATE,
    result: Compare_CompareResult.EQUAL,
    targetUnion: { $case: 'createRevision', value: revision },
  });
}

export function putOp(key: Buffer, value: Buffer, lease: bigint): RequestOp {
  return { request: { $case: 'requestPut', value: { key, value, lease, prevKv: false, ignoreValue: false, ignoreLease: false } } };
}

export function getOp(request: RangeRequest): RequestOp {
  return { request: { $case: 'requestRange', value: request } };
}

export function singleKey(key: Buffer): RangeRequest {
  return RangeRequest.fromPartial({ key });
}

export function deleteOp(key: Buffer): RequestOp {
  return { request: { $case: 'requestDeleteRange', value: { key, rangeEnd: Buffer.alloc(0), prevKv: false } } };
}

/** The session key of a lease under a prefix: `<prefix><lease in hex>`, as Go's %x prints an int64. */
export function sessionKey(prefix: Buffer, lease: bigint): Buffer {
  const hex = lease < 0n ? `-${(-lease).toString(16)}` : lease.toString(16);
  return Buffer.concat([prefix, Buffer.from(hex)]);
}
