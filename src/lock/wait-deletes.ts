// Waits until no key under a prefix is older than a given create revision: the
// queue position of a lock waiter or election candidate. Like etcd's waitDeletes,
// it waits for the newest older key at a time, so waiters wake one after another.
import { EtcdError } from '../errors/etcd-error.js';
import type { ResponseHeader } from '../generated/etcdserverpb/rpc.js';
import { assert } from '../util/assert.js';
import { deletionWatchOf, stillExists, type ConcurrencyServer } from './concurrency-server.js';
import { lastCreatedUpTo } from './kv-requests.js';

/** Rounds of "find the newest older key, wait for its deletion" before giving up: far above any real queue. */
const WAIT_ROUNDS_MAX = 1_000_000;

export async function waitDeletes(
  server: ConcurrencyServer,
  prefix: Buffer,
  maxCreateRevision: bigint,
  signal: AbortSignal,
): Promise<ResponseHeader> {
  for (let round = 0; round < WAIT_ROUNDS_MAX; round++) {
    if (signal.aborted) throw new EtcdError('Canceled');
    const response = await server.range(lastCreatedUpTo(prefix, maxCreateRevision));
    const older = response.kvs[0];
    if (older === undefined) {
      assert(response.header !== undefined, 'the server fills every range header');
      return response.header;
    }
    await waitForDeletion(server, older.key, older.createRevision, signal);
  }
  throw new EtcdError('Timeout');
}

async function waitForDeletion(server: ConcurrencyServer, key: Buffer, createRevision: bigint, signal: AbortSignal): Promise<void> {
  const local = new AbortController();
  const forward = (): void => local.abort();
  signal.addEventListener('abort', forward, { once: true });
  try {
    // A snapshot install may be under way; once readable, nothing awaits before the check.
    while (!server.store.readable) await server.store.whenReadable();
    const deleted = deletionWatchOf(server).waitForDeletion(key, local.signal);
    // Registered and checked in one synchronous step, so no deletion slips between them.
    if (!stillExists(server, key, createRevision)) {
      local.abort();
      await deleted.catch(() => undefined);
      return;
    }
    await deleted;
  } finally {
    signal.removeEventListener('abort', forward);
  }
}
