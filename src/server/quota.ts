// The backend space quota, checked before a write is proposed: a write that would
// grow the backend past --quota-backend-bytes raises the NOSPACE alarm instead.
import type { PutRequest, TxnRequest } from '../generated/etcdserverpb/rpc.js';

/** etcd's estimate of the bytes a stored key costs beyond its key and value. */
export const KV_OVERHEAD_BYTES = 256;

export function putCostBytes(request: PutRequest): number {
  return KV_OVERHEAD_BYTES + request.key.length + request.value.length;
}

/** A txn costs what its more expensive branch puts (only one branch runs). */
export function txnCostBytes(request: TxnRequest): number {
  const branchCost = (ops: TxnRequest['success']): number => {
    let total = 0;
    for (const op of ops) {
      const inner = op.request;
      if (inner?.$case === 'requestPut') total += putCostBytes(inner.value);
      else if (inner?.$case === 'requestTxn') total += txnCostBytes(inner.value);
    }
    return total;
  };
  return Math.max(branchCost(request.success), branchCost(request.failure));
}

/** The backend size is read from the file system at most this often (a stat per write is measurable). */
export const QUOTA_SIZE_REFRESH_MS = 50;

export class BackendQuota {
  private cachedSizeBytes = 0;
  private cachedAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly quotaBytes: number,
    private readonly readSizeBytes: () => number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  private sizeBytes(): number {
    const now = this.nowMs();
    if (now - this.cachedAtMs >= QUOTA_SIZE_REFRESH_MS) {
      this.cachedSizeBytes = this.readSizeBytes();
      this.cachedAtMs = now;
    }
    return this.cachedSizeBytes;
  }

  get bytes(): number {
    return this.quotaBytes;
  }

  available(costBytes: number): boolean {
    return this.sizeBytes() + costBytes <= this.quotaBytes;
  }
}
