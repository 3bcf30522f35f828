// Put request semantics on top of a WriteView: prev_kv, ignore_value and
// ignore_lease (which need the key to exist), lease existence and lease tracking.
import type { PutRequest, PutResponse } from '../generated/etcdserverpb/rpc.js';
import type { KeyValue } from '../generated/mvccpb/kv.js';
import { EtcdError } from '../errors/etcd-error.js';
import type { ReadView, WriteView } from '../mvcc/kv-view.js';
import { NO_LEASE, type LeaseAttachments, type LeaseLookup } from './lease-hooks.js';

const SINGLE_KEY_RANGE_END = Buffer.alloc(0);

/**
 * Writes one key. Throws EtcdError('LeaseNotFound') for an unknown lease and
 * EtcdError('KeyNotFound') when ignore_value or ignore_lease finds no current key;
 * in both cases nothing is written. The header is left for the caller.
 */
export function applyPut(
  view: WriteView,
  req: PutRequest,
  leases: LeaseLookup,
  attachments?: LeaseAttachments,
): PutResponse {
  // etcd checks the lease before looking at the key, so that error wins.
  if (req.lease !== NO_LEASE && !leases.has(req.lease)) throw new EtcdError('LeaseNotFound');
  // The current key is read only when the request or the leases need it (a backend read per put otherwise).
  const needsPrevious =
    req.ignoreValue || req.ignoreLease || req.prevKv || (attachments !== undefined && attachments.hasAnyLease());
  const previous = needsPrevious ? currentKv(view, req.key) : undefined;
  if ((req.ignoreValue || req.ignoreLease) && previous === undefined) {
    throw new EtcdError('KeyNotFound');
  }
  const value = req.ignoreValue && previous !== undefined ? previous.value : req.value;
  const lease = req.ignoreLease && previous !== undefined ? previous.lease : req.lease;
  view.put(req.key, value, lease);
  if (attachments !== undefined) {
    moveLease(attachments, req.key, previous?.lease ?? NO_LEASE, lease);
  }
  return { header: undefined, prevKv: req.prevKv ? previous : undefined };
}

/** The live key-value at the view's newest revision, if any. */
export function currentKv(view: ReadView, key: Buffer): KeyValue | undefined {
  const result = view.range(key, SINGLE_KEY_RANGE_END, { revision: 0, limit: 1, countOnly: false });
  return result.kvs[0];
}

function moveLease(hooks: LeaseAttachments, key: Buffer, from: bigint, to: bigint): void {
  if (from === to) return;
  if (from !== NO_LEASE) hooks.detach(from, key);
  if (to !== NO_LEASE) hooks.attach(to, key);
}
