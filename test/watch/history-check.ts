// Checks what watchers received against the store's own history: the events a
// watcher should have seen, in order, with no gap and no duplicate.
import type { WatchResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { Event_EventType, type Event } from '../../src/generated/mvccpb/kv.js';
import type { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { keySpanOf, spanContains, type KeySpan } from '../../src/watch/key-span.js';

const HISTORY_PAGE_EVENTS = 10_000;
const HISTORY_PAGES_MAX = 100_000;

/** Every event of every key in [fromRevision, toRevision], with previous values. */
export function storeHistory(store: MvccStore, fromRevision: number, toRevision: number): Event[] {
  const events: Event[] = [];
  let next = fromRevision;
  for (let page = 0; next <= toRevision && page < HISTORY_PAGES_MAX; page++) {
    const batch = store.eventsBetween(next, toRevision, Buffer.from([0]), Buffer.from([0]), HISTORY_PAGE_EVENTS, true);
    events.push(...batch.events);
    next = batch.nextRevision;
  }
  return events;
}

export function describeEvent(event: Event, withPrev: boolean): string {
  const kv = event.kv;
  const type = event.type === Event_EventType.PUT ? 'PUT' : 'DELETE';
  const base = `${type} ${kv?.key.toString('latin1') ?? ''}@${Number(kv?.modRevision ?? 0n)}=${kv?.value.toString('latin1') ?? ''}`;
  return withPrev ? `${base}<${event.prevKv?.value.toString('latin1') ?? '-'}` : base;
}

export interface WatchedRange {
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
  /** The first revision the watcher should see. */
  readonly fromRevision: number;
  readonly prevKv: boolean;
}

export function expectedFor(history: readonly Event[], range: WatchedRange): string[] {
  const span = keySpanOf(range.key, range.rangeEnd) as KeySpan;
  return history
    .filter((e) => Number(e.kv?.modRevision ?? 0n) >= range.fromRevision && spanContains(span, e.kv?.key.toString('latin1') ?? ''))
    .map((e) => describeEvent(e, range.prevKv));
}

/**
 * The events a watcher received, in order; also fails if a revision was split
 * over two responses (allowed only for fragments) or events went backwards.
 */
export function receivedEvents(responses: readonly WatchResponse[], prevKv: boolean): string[] {
  const out: string[] = [];
  let lastRevision = 0;
  let lastWasFragment = false;
  for (const response of responses) {
    const first = response.events[0];
    if (first === undefined) continue;
    const firstRevision = Number(first.kv?.modRevision ?? 0n);
    if (firstRevision < lastRevision || (firstRevision === lastRevision && !lastWasFragment)) {
      throw new Error(`watch ${response.watchId}: revision ${firstRevision} after ${lastRevision} (split or out of order)`);
    }
    for (const event of response.events) {
      const revision = Number(event.kv?.modRevision ?? 0n);
      if (revision < lastRevision) throw new Error(`watch ${response.watchId}: revision ${revision} after ${lastRevision}`);
      lastRevision = revision;
      out.push(describeEvent(event, prevKv));
    }
    lastWasFragment = response.fragment;
  }
  return out;
}

/** The first index where two lists differ, for a short failure message. */
export function firstDifference(actual: readonly string[], expected: readonly string[]): string | null {
  const length = Math.max(actual.length, expected.length);
  for (let i = 0; i < length; i++) {
    if (actual[i] !== expected[i]) return `at ${i}: got ${actual[i] ?? '(nothing)'}, wanted ${expected[i] ?? '(nothing)'} (${actual.length} vs ${expected.length} events)`;
  }
  return null;
}
