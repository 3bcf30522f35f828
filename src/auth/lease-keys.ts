// The keys a lease holds, as the permission checks want them (bytes, not the lessor's latin1 strings).
import type { LeaseKeys } from './request-permissions.js';

interface LeaseLookup {
  lookup(id: bigint): { readonly keys: ReadonlySet<string> } | undefined;
}

export function leaseKeysOf(lessor: LeaseLookup): LeaseKeys {
  return (id) => {
    const lease = lessor.lookup(id);
    return lease === undefined ? undefined : [...lease.keys].map((key) => Buffer.from(key, 'latin1'));
  };
}
