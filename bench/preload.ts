// Writes the keys a spec reads before its run starts, over one connection with a bounded
// number of puts in flight.
import { KVService, PutRequest } from '../src/generated/etcdserverpb/rpc.js';
import type { Transport } from './load-connection.js';
import { openConnection } from './open-connection.js';
import { benchValue, preloadKeys } from './request-factory.js';
import type { Spec } from './spec-table.js';

/** Puts in flight while pre-loading. */
const PRELOAD_IN_FLIGHT_MAX = 32;

export async function preload(endpoint: string, spec: Spec, transport: Transport): Promise<void> {
  const keys = preloadKeys(spec.operation);
  if (keys.length === 0) return;
  const value = benchValue(spec.valueBytes);
  const connection = openConnection(transport, endpoint, -1);
  try {
    await connection.waitReady();
    let nextKey = 0;
    const putLoop = async (): Promise<void> => {
      while (nextKey < keys.length) {
        const key = keys[nextKey];
        nextKey += 1;
        if (!key) continue;
        const payload = KVService.put.requestSerialize(PutRequest.fromPartial({ key, value }));
        const outcome = await connection.call(KVService.put.path, payload);
        if (outcome !== 'OK') throw new Error(`pre-loading ${key.toString()} failed: ${outcome}`);
      }
    };
    await Promise.all(Array.from({ length: PRELOAD_IN_FLIGHT_MAX }, putLoop));
  } finally {
    connection.close();
  }
}
