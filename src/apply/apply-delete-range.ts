// DeleteRange request semantics on top of a WriteView: the deleted count,
// prev_kv, and telling leases that their keys are gone.
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
} from '../generated/etcdserverpb/rpc.js';
import type { WriteView } from '../mvcc/kv-view.js';
import { NO_LEASE, type LeaseAttachments } from './lease-hooks.js';

/** Deletes every live key in the range. The header is left for the caller. */
export function applyDeleteRange(
  view: WriteView,
  req: DeleteRangeRequest,
  attachments?: LeaseAttachments,
): DeleteRangeResponse {
  // The doomed keys are read only when someone needs them: the client or the leases.
  const needsPrevious = req.prevKv || (attachments !== undefined && attachments.hasAnyLease());
  const previous = needsPrevious
    ? view.range(req.key, req.rangeEnd, { revision: 0, limit: 0, countOnly: false }).kvs
    : [];
  const deleted = view.deleteRange(req.key, req.rangeEnd);
  if (attachments !== undefined) {
    for (const kv of previous) {
      if (kv.lease !== NO_LEASE) attachments.detach(kv.lease, kv.key);
    }
  }
  return { header: undefined, deleted: BigInt(deleted), prevKvs: req.prevKv ? previous : [] };
}
