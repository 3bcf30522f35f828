// Waiting on keys, shared by the recipes: for a key's deletion, for every older key
// under a prefix to go (lock and election queues), for the next event of a type.
import type { Etcd } from '../etcd.js';
import type { KeyValue } from '../kv-requests.js';
import { abortReason } from '../endpoint-pool.js';
import type { WatchEvent } from '../watcher.js';

/** Deletions waited on in one waitDeletes: each one removes an older waiter, so this only guards a bug. */
export const WAIT_ROUNDS_MAX = 1_000_000;

/** Resolves with the first event of one of `types` on `key` (prefix when asked) at or after `fromRevision`. */
export async function waitEvent(
  etcd: Etcd,
  key: string,
  fromRevision: bigint,
  types: ReadonlyArray<WatchEvent['type']>,
  options: { prefix?: boolean; signal?: AbortSignal | undefined } = {},
): Promise<WatchEvent> {
  const watcher = await etcd.watch(key, { startRevision: fromRevision, prefix: options.prefix, signal: options.signal });
  try {
    for await (const event of watcher.events()) {
      if (types.includes(event.type)) return event;
    }
  } finally {
    await watcher.close();
  }
  if (options.signal?.aborted) throw abortReason(options.signal);
  throw new Error(`watch on ${key} ended before a ${types.join('/')} event`);
}

/**
 * Waits until no key under `prefix` has a create revision at or below `maxCreateRevision`:
 * the keys that queued before ours. Watches the newest of them each round, as etcd's
 * concurrency package does, so a waiter wakes only for its predecessor.
 */
export async function waitDeletes(etcd: Etcd, prefix: string, maxCreateRevision: bigint, signal?: AbortSignal): Promise<bigint> {
  for (let round = 0; round < WAIT_ROUNDS_MAX; round++) {
    const result = await etcd.range(prefix, {
      prefix: true,
      maxCreateRevision,
      sortTarget: 'create',
      sortOrder: 'descend',
      limit: 1,
      signal,
    });
    const last = result.kvs[0];
    if (last === undefined) return result.revision;
    await waitEvent(etcd, last.key.toString(), result.revision, ['delete'], { signal });
  }
  throw new Error(`waitDeletes on ${prefix}: more than ${WAIT_ROUNDS_MAX} rounds`);
}

/** The oldest key (by create revision) under a prefix: the owner of a lock or election. */
export async function firstCreated(etcd: Etcd, prefix: string, signal?: AbortSignal): Promise<{ kv: KeyValue | undefined; revision: bigint }> {
  const result = await etcd.range(prefix, { prefix: true, sortTarget: 'create', sortOrder: 'ascend', limit: 1, signal });
  return { kv: result.kvs[0], revision: result.revision };
}
