// Writes the keys a spec reads before its run starts, and grants the leases a keep-alive spec
// renews, over one connection with a bounded number of requests in flight.
import { KVService, LeaseGrantRequest, LeaseService, PutRequest } from '../src/generated/etcdserverpb/rpc.js';
import type { LoadConnection, Transport } from './load-connection.js';
import { openConnection } from './open-connection.js';
import { leaseReply } from './proto-scan.js';
import { benchValue, preloadKeys } from './request-factory.js';
import type { Spec } from './spec-table.js';

/** Requests in flight while pre-loading. */
const PRELOAD_IN_FLIGHT_MAX = 32;

/** What the run needs from the pre-load: the granted lease ids, in grant order. */
export interface Preloaded {
  leaseIds: bigint[] | undefined;
}

/** Runs `work(i)` for i in [0, count) with at most PRELOAD_IN_FLIGHT_MAX at once. */
async function inFlight(count: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PRELOAD_IN_FLIGHT_MAX, count) }, loop));
}

async function putKeys(connection: LoadConnection, keys: Buffer[], value: Buffer): Promise<void> {
  await inFlight(keys.length, async (i) => {
    const key = keys[i] ?? Buffer.alloc(0);
    const payload = KVService.put.requestSerialize(PutRequest.fromPartial({ key, value }));
    const outcome = await connection.call(KVService.put.path, payload);
    if (outcome !== 'OK') throw new Error(`pre-loading ${key.toString()} failed: ${outcome}`);
  });
}

async function grantLeases(connection: LoadConnection, count: number, ttlS: number): Promise<bigint[]> {
  const ids: bigint[] = new Array<bigint>(count).fill(0n);
  const payload = LeaseService.leaseGrant.requestSerialize(LeaseGrantRequest.fromPartial({ TTL: BigInt(ttlS) }));
  await inFlight(count, async (i) => {
    const { id, ttl } = leaseReply(await connection.callRaw(LeaseService.leaseGrant.path, payload));
    if (id === 0n || ttl <= 0) throw new Error(`lease grant ${i} returned id ${id} ttl ${ttl}`);
    ids[i] = id;
  });
  return ids;
}

export async function preload(endpoint: string, spec: Spec, transport: Transport): Promise<Preloaded> {
  const keys = preloadKeys(spec.operation);
  const op = spec.operation;
  if (keys.length === 0 && op.kind !== 'lease-keep-alive') return { leaseIds: undefined };
  const connection = openConnection(transport, endpoint, -1);
  try {
    await connection.waitReady();
    await putKeys(connection, keys, benchValue(spec.valueBytes));
    return { leaseIds: op.kind === 'lease-keep-alive' ? await grantLeases(connection, op.leases, op.ttlS) : undefined };
  } finally {
    connection.close();
  }
}
