// The keys a lease holds, as the permission checks want them: bytes (the lessor keeps
// latin1 strings), produced one at a time so a check that stops early copies nothing more.
import type { LeaseKeys } from './request-permissions.js';

interface LeaseLookup {
  lookup(id: bigint): { readonly keys: ReadonlySet<string> } | undefined;
}

export function leaseKeysOf(lessor: LeaseLookup): LeaseKeys {
  return function* (id) {
    const lease = lessor.lookup(id);
    if (lease === undefined) return;
    for (const key of lease.keys) yield Buffer.from(key, 'latin1');
  };
}
