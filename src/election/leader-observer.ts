// Observe: the current leader of an election, then every value it proclaims, then
// the next leader once it is gone, and so on until the caller leaves. Like etcd's
// Observe it may skip values a slow observer missed, but always reaches the latest.
import type { ResponseHeader } from '../generated/etcdserverpb/rpc.js';
import { Event_EventType, type KeyValue } from '../generated/mvccpb/kv.js';
import type { LeaderResponse } from '../generated/v3electionpb/v3election.js';
import type { ConcurrencyServer } from '../lock/concurrency-server.js';
import { firstCreated } from '../lock/kv-requests.js';
import { electionPrefix } from './election.js';
import { prefixEventsOf, type PrefixSubscription } from './prefix-events.js';

export interface ObserveServer extends ConcurrencyServer {
  header(revision?: number): ResponseHeader;
}

interface Following {
  readonly key: Buffer;
  /** Events at or below this revision are already reflected. */
  seenRevision: number;
}

export async function* observeLeader(server: ObserveServer, name: Buffer, signal: AbortSignal): AsyncGenerator<LeaderResponse> {
  const prefix = electionPrefix(name);
  // Subscribed before the first read, so nothing applied after that read is missed.
  const subscription = prefixEventsOf(server).subscribe(prefix);
  try {
    let following: Following | null = null;
    while (!signal.aborted) {
      if (following === null || subscription.overflowed) {
        subscription.overflowed = false;
        subscription.queue.length = 0;
        const response = await server.range(firstCreated(prefix));
        const kv = response.kvs[0];
        const revision = Number(response.header?.revision ?? 0n);
        following = kv === undefined ? null : { key: kv.key, seenRevision: revision };
        if (kv !== undefined) yield { header: response.header, kv };
        else yield* firstPut(server, subscription, revision, signal, (found) => (following = found));
        continue;
      }
      yield* followLeader(server, subscription, following, signal, () => (following = null));
    }
  } finally {
    subscription.close();
  }
}

/** With no leader: waits for the first put under the prefix, which makes its key the leader. */
async function* firstPut(
  server: ObserveServer,
  subscription: PrefixSubscription,
  afterRevision: number,
  signal: AbortSignal,
  found: (following: Following) => void,
): AsyncGenerator<LeaderResponse> {
  while (!signal.aborted && !subscription.overflowed) {
    const next = subscription.queue.shift();
    if (next === undefined) {
      await subscription.changed(signal);
      continue;
    }
    if (next.revision <= afterRevision || next.event.type !== Event_EventType.PUT || next.event.kv === undefined) continue;
    const kv: KeyValue = next.event.kv;
    found({ key: kv.key, seenRevision: next.revision });
    yield { header: server.header(Number(kv.modRevision)), kv };
    return;
  }
}

/** Reports each put on the leader's key until it is deleted. */
async function* followLeader(
  server: ObserveServer,
  subscription: PrefixSubscription,
  following: Following,
  signal: AbortSignal,
  lost: () => void,
): AsyncGenerator<LeaderResponse> {
  while (!signal.aborted && !subscription.overflowed) {
    const next = subscription.queue.shift();
    if (next === undefined) {
      await subscription.changed(signal);
      continue;
    }
    const kv = next.event.kv;
    if (next.revision <= following.seenRevision || kv === undefined || !kv.key.equals(following.key)) continue;
    following.seenRevision = next.revision;
    if (next.event.type === Event_EventType.DELETE) {
      lost();
      return;
    }
    yield { header: server.header(next.revision), kv };
  }
}
