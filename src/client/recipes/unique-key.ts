// Creating keys that nobody else holds: a time-ordered unique key under a prefix, and
// etcd's sequential keys (prefix/0000000000000001, ...) for priority queues.
import type { Etcd } from '../etcd.js';
import { cmp, op } from '../txn-builder.js';

/** Collisions tolerated before giving up; each retry takes a newer timestamp, so this is generous. */
export const UNIQUE_KEY_ATTEMPTS_MAX = 100;
const SEQUENCE_DIGITS = 16;

export interface CreatedKey {
  key: string;
  revision: bigint;
}

let lastStampNs = 0n;

// Nanoseconds since the epoch, strictly increasing within this process.
function timestampNs(): bigint {
  const now = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  lastStampNs = now > lastStampNs ? now : lastStampNs + 1n;
  return lastStampNs;
}

/** Puts `value` at `prefix/<nanoseconds>` only if that key is new. */
export async function createUniqueKey(etcd: Etcd, prefix: string, value: string, lease: bigint = 0n, signal?: AbortSignal): Promise<CreatedKey> {
  for (let attempt = 0; attempt < UNIQUE_KEY_ATTEMPTS_MAX; attempt++) {
    const key = `${prefix}/${timestampNs()}`;
    const result = await etcd.txn().when(cmp.createRevision(key, '=', 0)).then(op.put(key, value, { lease })).commit({ signal });
    if (result.succeeded) return { key, revision: result.revision };
  }
  throw new Error(`no unique key under ${prefix} after ${UNIQUE_KEY_ATTEMPTS_MAX} attempts`);
}

/**
 * Puts `value` at the next sequence number under `prefix`. A marker key outside the prefix
 * ("__" + prefix) is rewritten by every append, so two appenders cannot take one number.
 */
export async function createSequentialKey(etcd: Etcd, prefix: string, value: string, signal?: AbortSignal): Promise<CreatedKey> {
  const markerKey = `__${prefix}`;
  for (let attempt = 0; attempt < UNIQUE_KEY_ATTEMPTS_MAX; attempt++) {
    const last = await etcd.range(`${prefix}/`, { prefix: true, sortTarget: 'key', sortOrder: 'descend', limit: 1, signal });
    const lastKey = last.kvs[0]?.key.toString();
    const next = lastKey === undefined ? 0n : BigInt(lastKey.slice(prefix.length + 1)) + 1n;
    const key = `${prefix}/${next.toString().padStart(SEQUENCE_DIGITS, '0')}`;
    const result = await etcd
      .txn()
      .when(cmp.modRevision(markerKey, '<', last.revision + 1n))
      .then(op.put(markerKey, ''), op.put(key, value))
      .commit({ signal });
    if (result.succeeded) return { key, revision: result.revision };
  }
  throw new Error(`no sequential key under ${prefix} after ${UNIQUE_KEY_ATTEMPTS_MAX} attempts`);
}

/** Deletes `key` only if it is still at `modRevision`: a claim that exactly one caller wins. */
export async function deleteIfUnchanged(etcd: Etcd, key: string | Buffer, modRevision: bigint, signal?: AbortSignal): Promise<boolean> {
  const result = await etcd.txn().when(cmp.modRevision(key, '=', modRevision)).then(op.delete(key)).commit({ signal });
  return result.succeeded;
}
