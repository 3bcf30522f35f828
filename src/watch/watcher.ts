// One watcher: its key span, the next revision it still needs, its filters,
// and the stream it delivers to. Which group holds it is the hub's business.
import { Event_EventType, type Event } from '../generated/mvccpb/kv.js';
import type { KeySpan } from './key-span.js';

export type WatcherState = 'synced' | 'unsynced' | 'victim' | 'compacted' | 'canceled';

/** What the hub hands a stream; the stream adds the header and wire details. */
export interface HubResponse {
  readonly watchId: bigint;
  readonly events: Event[];
  /** The header revision. */
  readonly revision: number;
  /** Non-zero: the watcher's start was compacted and it is cancelled. */
  readonly compactRevision: number;
}

/** The stream side of a watcher, as the hub sees it. */
export interface WatcherSink {
  /** Queues a response; false when the stream's send buffer is full. Never blocks. */
  trySend(response: HubResponse): boolean;
  /** Whether trySend would take a response now; lets the hub skip full streams cheaply. */
  hasRoom(): boolean;
  /** The watcher has caught up with the store. */
  onSynced(watcher: Watcher): void;
}

export interface WatcherSpec {
  readonly id: bigint;
  readonly span: KeySpan;
  readonly startRevision: number;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
}

export class Watcher {
  /** The lowest revision whose events this watcher has not been sent yet. */
  minRevision: number;
  state: WatcherState = 'unsynced';

  constructor(
    readonly spec: WatcherSpec,
    readonly sink: WatcherSink,
  ) {
    this.minRevision = spec.startRevision;
  }

  get id(): bigint {
    return this.spec.id;
  }

  get span(): KeySpan {
    return this.spec.span;
  }

  /**
   * Filters, then queues. As in etcd, a batch whose events were all filtered
   * counts as delivered without sending anything; an empty batch is a progress
   * notification and is always sent.
   */
  send(events: readonly Event[], revision: number): boolean {
    const wanted = this.shape(events);
    if (events.length > 0 && wanted.length === 0) return true;
    return this.sink.trySend({ watchId: this.spec.id, events: wanted, revision, compactRevision: 0 });
  }

  sendCompacted(compactRevision: number): boolean {
    return this.sink.trySend({ watchId: this.spec.id, events: [], revision: 0, compactRevision });
  }

  private shape(events: readonly Event[]): Event[] {
    const { noPut, noDelete, prevKv } = this.spec;
    const out: Event[] = [];
    for (const event of events) {
      if (noPut && event.type === Event_EventType.PUT) continue;
      if (noDelete && event.type === Event_EventType.DELETE) continue;
      out.push(prevKv || event.prevKv === undefined ? event : { type: event.type, kv: event.kv, prevKv: undefined });
    }
    return out;
  }
}
