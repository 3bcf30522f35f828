// The watchable store: every watcher of one server, kept synced (fed as writes
// are applied), unsynced (catching up from history in bounded steps) or victim
// (its stream was full; its batch is held until there is room), so a slow
// client never holds up the apply loop or other watchers.
import type { Event } from '../generated/mvccpb/kv.js';
import { readHistory, type HistoryBatch } from '../mvcc/history-reader.js';
import type { WriteResult } from '../mvcc/kv-view.js';
import type { MvccStore } from '../mvcc/mvcc-store.js';
import { assert } from '../util/assert.js';
import { batchByWatcher, type EventBatch } from './event-batch.js';
import { spanToStoreRange } from './key-span.js';
import { Watcher, type WatcherSink, type WatcherSpec } from './watcher.js';
import { WatcherGroup } from './watcher-group.js';

/** Unsynced watchers examined per catch-up step (etcd's maxWatchersPerSync). */
export const SYNC_WATCHERS_PER_STEP_MAX = 512;
/** Events read from history per catch-up step; a revision is never split, so one step may read more. */
export const SYNC_EVENTS_PER_STEP_MAX = 2000;
/** Pause between catch-up steps when the last one made no progress (etcd: 100ms). */
export const SYNC_RETRY_INTERVAL_MS = 100;
/** Pause between attempts to deliver victims' held batches (etcd: 10ms). */
export const VICTIM_RETRY_INTERVAL_MS = 10;
/** Watchers one server holds in total, over all streams. */
export const HUB_WATCHERS_MAX = 1_000_000;

export interface WatchHubStats {
  readonly synced: number;
  readonly unsynced: number;
  readonly victims: number;
  /** Times a watcher's stream was full and it became a victim, since start. */
  readonly victimized: number;
  /** Watchers cancelled because their start revision was compacted, since start. */
  readonly compacted: number;
}

interface HeldBatch {
  readonly events: Event[];
  readonly revision: number;
}

export class WatchHub {
  private readonly synced = new WatcherGroup();
  /** Insertion order gives round-robin fairness: a watcher that still lags goes to the back. */
  private readonly unsynced = new Set<Watcher>();
  private readonly victims = new Map<Watcher, HeldBatch>();
  /** Watchers asking prev_kv, until cancelled: while there are none, writes skip reading previous values. */
  private readonly prevKvWatchers = new Set<Watcher>();
  private syncTimer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private victimTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private victimized = 0;
  private compacted = 0;

  constructor(private readonly store: MvccStore) {}

  stats(): WatchHubStats {
    return {
      synced: this.synced.size,
      unsynced: this.unsynced.size,
      victims: this.victims.size,
      victimized: this.victimized,
      compacted: this.compacted,
    };
  }

  watcherCount(): number {
    return this.synced.size + this.unsynced.size + this.victims.size;
  }

  get currentRevision(): number {
    return this.store.currentRevision;
  }

  /** Room for one more watcher? Callers answer with an error when not. */
  hasRoom(): boolean {
    return this.watcherCount() < HUB_WATCHERS_MAX;
  }

  /** start_revision 0 means "from the next revision"; a future one waits for it. */
  watch(spec: WatcherSpec, sink: WatcherSink): Watcher {
    assert(!this.closed, 'watch on a closed hub');
    const watcher = new Watcher(spec, sink);
    if (spec.prevKv) this.prevKvWatchers.add(watcher);
    const current = this.store.currentRevision;
    if (spec.startRevision === 0 || spec.startRevision > current) {
      watcher.minRevision = Math.max(current + 1, spec.startRevision);
      watcher.state = 'synced';
      this.synced.add(watcher);
    } else {
      watcher.state = 'unsynced';
      this.unsynced.add(watcher);
      this.scheduleSync(0);
    }
    return watcher;
  }

  cancel(watcher: Watcher): void {
    this.prevKvWatchers.delete(watcher);
    this.synced.delete(watcher);
    this.unsynced.delete(watcher);
    this.victims.delete(watcher);
    if (watcher.state !== 'compacted') watcher.state = 'canceled';
  }

  /** Whether write events must carry previous values (see MvccStore.prevKvWanted). */
  wantsPrevKv(): boolean {
    return this.prevKvWatchers.size > 0;
  }

  isSynced(watcher: Watcher): boolean {
    return watcher.state === 'synced';
  }

  /** A progress notification for one watcher, only if it has caught up (etcd). */
  progress(watcher: Watcher): void {
    if (watcher.state === 'synced') watcher.send([], this.store.currentRevision);
  }

  /** Called synchronously by the apply loop after each write that changed the store. */
  notify(result: WriteResult): void {
    if (this.synced.size === 0 || result.events.length === 0) return;
    const revision = result.revision;
    let newVictims = false;
    for (const [watcher, batch] of batchByWatcher(this.synced, result.events)) {
      if (watcher.send(batch.events, revision)) continue;
      watcher.minRevision = revision + 1;
      this.synced.delete(watcher);
      watcher.state = 'victim';
      this.victimized++;
      this.victims.set(watcher, { events: batch.events, revision });
      newVictims = true;
    }
    if (newVictims) this.scheduleVictims();
  }

  /**
   * The store was replaced by a snapshot at a newer revision: synced watchers have
   * not seen what happened since `previousRevision`, so they catch up from history
   * (or are cancelled with the compact revision if it is gone), as etcd's Restore.
   */
  restored(previousRevision: number): void {
    for (const watcher of [...this.synced]) {
      this.synced.delete(watcher);
      watcher.minRevision = previousRevision + 1;
      watcher.state = 'unsynced';
      this.unsynced.add(watcher);
    }
    if (this.unsynced.size > 0) this.scheduleSync(0);
  }

  /** A stream made room in its buffer: try its victims soon. */
  onRoom(): void {
    if (this.victims.size > 0) this.scheduleVictims(true);
  }

  close(): void {
    this.closed = true;
    this.clearTimers();
    for (const watcher of [...this.synced, ...this.unsynced, ...this.victims.keys()]) this.cancel(watcher);
  }

  // ---- victims -----------------------------------------------------------------

  /** Returns how many victims were delivered. */
  private moveVictims(): number {
    const current = this.store.currentRevision;
    let moved = 0;
    for (const [watcher, held] of this.victims) {
      if (!watcher.sink.hasRoom() || !watcher.send(held.events, held.revision)) continue;
      this.victims.delete(watcher);
      moved++;
      if (watcher.minRevision <= current) {
        watcher.state = 'unsynced';
        this.unsynced.add(watcher);
        this.scheduleSync(0);
      } else {
        this.markSynced(watcher);
      }
    }
    return moved;
  }

  private scheduleVictims(soon = false): void {
    if (this.closed || this.victimTimer !== null) return;
    this.victimTimer = setTimeout(() => {
      this.victimTimer = null;
      this.moveVictims();
      if (this.victims.size > 0) this.scheduleVictims();
    }, soon ? 0 : VICTIM_RETRY_INTERVAL_MS);
    this.victimTimer.unref();
  }

  // ---- catch-up ---------------------------------------------------------------

  private scheduleSync(delayMs: number): void {
    if (this.closed || this.syncTimer !== null) return;
    const run = (): void => {
      this.syncTimer = null;
      const progressed = this.syncStep();
      if (this.unsynced.size > 0) this.scheduleSync(progressed ? 0 : SYNC_RETRY_INTERVAL_MS);
    };
    if (delayMs === 0) {
      // setImmediate yields to I/O (client requests, the apply loop) between steps.
      this.syncTimer = setImmediate(run);
      this.syncTimer.unref();
    } else {
      this.syncTimer = setTimeout(run, delayMs);
      this.syncTimer.unref();
    }
  }

  /** One bounded step of catch-up; returns whether any watcher moved forward. */
  private syncStep(): boolean {
    // A snapshot is replacing the backend: history is unreadable until the store reloads (then restored()).
    if (!this.store.readable) return false;
    const current = this.store.currentRevision;
    const { group, fromRevision, wantPrevKv, progressed } = this.chooseUnsynced(current);
    if (group.size === 0) return progressed;
    const history = this.readFrom(fromRevision, current, wantPrevKv);
    const batches = batchByWatcher(group, history.events);
    const victimsBefore = this.victims.size;
    for (const watcher of group) {
      const reached = history.nextRevision;
      if (watcher.minRevision >= reached) continue;
      const batch = batches.get(watcher);
      this.advanceUnsynced(watcher, batch, batch !== undefined && batch.moreRevision !== 0 ? batch.moreRevision : reached, current);
    }
    if (this.victims.size > victimsBefore) this.scheduleVictims();
    return true;
  }

  private advanceUnsynced(watcher: Watcher, batch: EventBatch | undefined, nextRevision: number, current: number): void {
    watcher.minRevision = nextRevision;
    this.unsynced.delete(watcher);
    if (batch !== undefined && !watcher.send(batch.events, current)) {
      watcher.state = 'victim';
      this.victimized++;
      // As etcd, a held batch is later sent with the last revision it covers as its header.
      this.victims.set(watcher, { events: batch.events, revision: nextRevision - 1 });
      return;
    }
    if (nextRevision > current) this.markSynced(watcher);
    else this.unsynced.add(watcher);
  }

  private chooseUnsynced(current: number): { group: WatcherGroup; fromRevision: number; wantPrevKv: boolean; progressed: boolean } {
    const compactRevision = this.store.compactRevision;
    const group = new WatcherGroup();
    let fromRevision = Number.POSITIVE_INFINITY;
    let wantPrevKv = false;
    let progressed = false;
    let examined = 0;
    // Deleting the current entry while iterating a Set is safe; nothing is added here.
    for (const watcher of this.unsynced) {
      if (examined++ >= SYNC_WATCHERS_PER_STEP_MAX) break;
      if (watcher.minRevision < compactRevision) {
        // etcd: the watcher is told the compact revision and leaves; a full stream retries later.
        if (!watcher.sendCompacted(compactRevision)) continue;
        this.unsynced.delete(watcher);
        watcher.state = 'compacted';
        this.compacted++;
        progressed = true;
        continue;
      }
      if (watcher.minRevision > current) {
        this.unsynced.delete(watcher);
        this.markSynced(watcher);
        progressed = true;
        continue;
      }
      group.add(watcher);
      fromRevision = Math.min(fromRevision, watcher.minRevision);
      wantPrevKv ||= watcher.spec.prevKv;
    }
    return { group, fromRevision, wantPrevKv, progressed };
  }

  /** Every key's events from `fromRevision`; at the compact revision itself, what survived it (as etcd). */
  private readFrom(fromRevision: number, current: number, wantPrevKv: boolean): HistoryBatch {
    const all = spanToStoreRange({ from: '\0', to: null, single: false });
    const from = Math.max(fromRevision, 1);
    if (from <= this.store.compactRevision) {
      return readHistory(this.store, from, current, all.key, all.rangeEnd, SYNC_EVENTS_PER_STEP_MAX, wantPrevKv);
    }
    return this.store.eventsBetween(from, current, all.key, all.rangeEnd, SYNC_EVENTS_PER_STEP_MAX, wantPrevKv);
  }

  private markSynced(watcher: Watcher): void {
    watcher.state = 'synced';
    this.synced.add(watcher);
    watcher.sink.onSynced(watcher);
  }

  private clearTimers(): void {
    if (this.victimTimer !== null) clearTimeout(this.victimTimer);
    this.victimTimer = null;
    if (this.syncTimer !== null) {
      clearTimeout(this.syncTimer as NodeJS.Timeout);
      clearImmediate(this.syncTimer as NodeJS.Immediate);
    }
    this.syncTimer = null;
  }
}
