// What the KV applier needs from the lease module: whether a lease exists, and a
// hook to learn which keys a lease holds. Declared here so leases depend on us, not
// the other way round.

/** Answers whether a lease is currently granted (not expired or revoked). */
export interface LeaseLookup {
  has(id: bigint): boolean;
}

/**
 * Told whenever a key's lease changes or a leased key is deleted, so a lease can
 * delete its keys when it is revoked. Calls are never repeated for an unchanged lease.
 */
export interface LeaseAttachments {
  /** Whether any lease is granted: with none, no key's lease needs telling, so writes need not read the keys first. */
  hasAnyLease(): boolean;
  attach(id: bigint, key: Buffer): void;
  detach(id: bigint, key: Buffer): void;
}

/** The lease id etcd uses for "no lease". */
export const NO_LEASE = 0n;
