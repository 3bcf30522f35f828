// Applied events under a key prefix, queued per subscriber: what Observe reads to
// follow an election without a watch stream. A subscriber that falls too far behind
// is told to resynchronise from a fresh read instead of growing its queue.
import type { Event } from '../generated/mvccpb/kv.js';
import type { WriteSource } from '../lock/key-deletion-watch.js';
import type { WriteResult } from '../mvcc/kv-view.js';
import { EtcdError } from '../errors/etcd-error.js';

/** Events a subscriber may hold before it must resynchronise. */
const SUBSCRIBER_QUEUE_EVENTS_MAX = 1024;
/** Observers at once, per server. */
const SUBSCRIBERS_MAX = 10_000;

export interface PrefixEvent {
  readonly revision: number;
  readonly event: Event;
}

export class PrefixSubscription {
  readonly queue: PrefixEvent[] = [];
  overflowed = false;
  private wake: (() => void) | null = null;

  constructor(
    readonly prefix: Buffer,
    private readonly release: (subscription: PrefixSubscription) => void,
  ) {}

  /** Resolves once an event is queued (or the queue overflowed) or the signal aborts. */
  changed(signal: AbortSignal): Promise<void> {
    if (this.queue.length > 0 || this.overflowed || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.wake = null;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  offer(item: PrefixEvent): void {
    if (this.queue.length >= SUBSCRIBER_QUEUE_EVENTS_MAX) {
      this.queue.length = 0;
      this.overflowed = true;
    } else if (!this.overflowed) {
      this.queue.push(item);
    }
    this.wake?.();
  }

  close(): void {
    this.release(this);
  }
}

export class PrefixEvents {
  private readonly subscriptions = new Set<PrefixSubscription>();

  constructor(source: WriteSource) {
    source.onWrite((result) => this.onWrite(result));
  }

  subscribe(prefix: Buffer): PrefixSubscription {
    if (this.subscriptions.size >= SUBSCRIBERS_MAX) throw new EtcdError('TooManyRequests');
    const subscription = new PrefixSubscription(prefix, (done) => this.subscriptions.delete(done));
    this.subscriptions.add(subscription);
    return subscription;
  }

  private onWrite(result: WriteResult): void {
    if (this.subscriptions.size === 0) return;
    for (const subscription of this.subscriptions) {
      for (const event of result.events) {
        const key = event.kv?.key;
        if (key !== undefined && startsWith(key, subscription.prefix)) subscription.offer({ revision: result.revision, event });
      }
    }
  }
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

const registry = new WeakMap<WriteSource, PrefixEvents>();

/** The server's one PrefixEvents, made on first use. */
export function prefixEventsOf(source: WriteSource): PrefixEvents {
  let events = registry.get(source);
  if (events === undefined) registry.set(source, (events = new PrefixEvents(source)));
  return events;
}
