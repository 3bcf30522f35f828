// One client's watch stream: its watch ids, the responses waiting to be written
// (a bounded buffer shared by its watchers, as etcd's per-stream channel), and
// the per-watcher options that live above the hub (progress, fragment).
import type { ResponseHeader, WatchResponse } from '../generated/etcdserverpb/rpc.js';
import { keySpanOf } from './key-span.js';
import type { WatchHub } from './watch-hub.js';
import type { HubResponse, Watcher, WatcherSink } from './watcher.js';

/** Event responses a stream buffers before its watchers become victims (etcd's chanBufLen). */
export const STREAM_SEND_BUFFER_RESPONSES = 128;
/** Control responses (created, canceled, progress) buffered before the stream stops reading requests (etcd's ctrlStreamBufLen). */
export const STREAM_CONTROL_BUFFER_RESPONSES = 16;
/** Watchers one stream may hold; etcd has no bound, this one is far above any real client. */
export const STREAM_WATCHERS_MAX = 100_000;
/** The id of responses that belong to no single watcher (clientv3.InvalidWatchID). */
export const INVALID_WATCH_ID = -1n;

export const ERR_EMPTY_WATCHER_RANGE = 'mvcc: watcher range is empty';
export const ERR_DUPLICATE_WATCH_ID = 'mvcc: duplicate watch ID provided on the WatchStream';
export const ERR_TOO_MANY_WATCHERS = 'etcdserver: too many watchers';

export interface CreateWatch {
  /** 0 lets the stream pick the next free id. */
  readonly watchId: bigint;
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
  readonly startRevision: number;
  readonly progressNotify: boolean;
  readonly prevKv: boolean;
  readonly fragment: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
}

export interface OutgoingResponse {
  readonly response: WatchResponse;
  /** The watcher asked for large revisions to be split across responses. */
  readonly fragment: boolean;
  readonly control: boolean;
}

export interface WatchStreamHost {
  header(revision: number): ResponseHeader;
  /** Something was queued; the host should write when it can. */
  wake(): void;
}

function emptyResponse(header: ResponseHeader, watchId: bigint): WatchResponse {
  return { header, watchId, created: false, canceled: false, compactRevision: 0n, cancelReason: '', fragment: false, events: [] };
}

export class WatchStream implements WatcherSink {
  private readonly watchers = new Map<bigint, Watcher>();
  private readonly queue: OutgoingResponse[] = [];
  private queueHead = 0;
  private eventsQueued = 0;
  private controlQueued = 0;
  private nextId = 0n;
  /** Watchers with progress_notify; false once an event went out since the last tick (etcd elides that tick). */
  private readonly progressDue = new Map<bigint, boolean>();
  private readonly fragmentIds = new Set<bigint>();
  private deferredProgress = false;
  private progressCheckQueued = false;
  private progressTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly hub: WatchHub,
    private readonly host: WatchStreamHost,
    private readonly progressIntervalMs: number,
    private readonly watchersMax: number = STREAM_WATCHERS_MAX,
  ) {}

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** False while the control backlog is full: the host should stop reading requests. */
  get acceptsRequests(): boolean {
    return this.controlQueued < STREAM_CONTROL_BUFFER_RESPONSES;
  }

  create(request: CreateWatch): void {
    if (this.closed) return;
    const current = this.hub.currentRevision;
    const span = keySpanOf(request.key, request.rangeEnd);
    if (span === null) return this.refuse(current, ERR_EMPTY_WATCHER_RANGE);
    if (request.watchId !== 0n && this.watchers.has(request.watchId)) return this.refuse(current, ERR_DUPLICATE_WATCH_ID);
    if (this.watchers.size >= this.watchersMax || !this.hub.hasRoom()) return this.refuse(current, ERR_TOO_MANY_WATCHERS);
    const id = request.watchId === 0n ? this.freeId() : request.watchId;
    // Queued before the hub knows the watcher, so "created" always precedes its events.
    this.pushControl({ ...emptyResponse(this.host.header(current), id), created: true });
    const spec = { id, span, startRevision: request.startRevision, prevKv: request.prevKv, noPut: request.noPut, noDelete: request.noDelete };
    this.watchers.set(id, this.hub.watch(spec, this));
    if (request.fragment) this.fragmentIds.add(id);
    if (request.progressNotify) {
      this.progressDue.set(id, true);
      this.startProgressTimer();
    }
  }

  /** etcd answers only for an id it knows. */
  cancel(watchId: bigint): void {
    const watcher = this.watchers.get(watchId);
    if (this.closed || watcher === undefined) return;
    this.forget(watcher);
    this.pushControl({ ...emptyResponse(this.host.header(this.hub.currentRevision), watchId), canceled: true });
  }

  /** A progress request: answered (watch id -1) once every watcher of the stream has caught up. */
  requestProgress(): void {
    if (this.closed) return;
    if (this.allSynced()) this.pushProgressAll();
    else this.deferredProgress = true;
  }

  /** The next response to write, oldest first. */
  take(): OutgoingResponse | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const next = this.queue[this.queueHead] as OutgoingResponse;
    this.queueHead++;
    if (this.queueHead >= this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    if (next.control) this.controlQueued--;
    else if (--this.eventsQueued === STREAM_SEND_BUFFER_RESPONSES / 2) this.hub.onRoom();
    return next;
  }

  /** Releases every watcher; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of this.watchers.values()) this.hub.cancel(watcher);
    this.watchers.clear();
    this.progressDue.clear();
    this.queue.length = 0;
    this.queueHead = 0;
    if (this.progressTimer !== null) clearInterval(this.progressTimer);
    this.progressTimer = null;
  }

  // ---- WatcherSink -------------------------------------------------------------

  hasRoom(): boolean {
    return this.closed || this.eventsQueued < STREAM_SEND_BUFFER_RESPONSES;
  }

  trySend(response: HubResponse): boolean {
    if (this.closed) return true;
    if (this.eventsQueued >= STREAM_SEND_BUFFER_RESPONSES) return false;
    const wire: WatchResponse = {
      ...emptyResponse(this.host.header(response.revision), response.watchId),
      canceled: response.compactRevision !== 0,
      compactRevision: BigInt(response.compactRevision),
      events: response.events,
    };
    if (response.events.length > 0 && this.progressDue.has(response.watchId)) this.progressDue.set(response.watchId, false);
    this.queue.push({ response: wire, fragment: this.fragmentIds.has(response.watchId), control: false });
    this.eventsQueued++;
    this.host.wake();
    return true;
  }

  onSynced(): void {
    if (!this.deferredProgress || this.progressCheckQueued) return;
    // One check per burst of watchers catching up, not one per watcher.
    this.progressCheckQueued = true;
    queueMicrotask(() => {
      this.progressCheckQueued = false;
      if (this.closed || !this.deferredProgress || !this.allSynced()) return;
      this.deferredProgress = false;
      this.pushProgressAll();
    });
  }

  // ---- internals ----------------------------------------------------------------

  /** A create refused above the stream (auth): created and canceled at once, with the reason. */
  refuseCreate(reason: string): void {
    if (!this.closed) this.refuse(this.hub.currentRevision, reason);
  }

  private refuse(current: number, reason: string): void {
    this.pushControl({ ...emptyResponse(this.host.header(current), INVALID_WATCH_ID), created: true, canceled: true, cancelReason: reason });
  }

  private forget(watcher: Watcher): void {
    this.hub.cancel(watcher);
    this.watchers.delete(watcher.id);
    this.progressDue.delete(watcher.id);
    this.fragmentIds.delete(watcher.id);
  }

  private freeId(): bigint {
    // At most watchers.size ids can be taken, so this ends within that many steps.
    while (this.watchers.has(this.nextId)) this.nextId++;
    return this.nextId++;
  }

  private allSynced(): boolean {
    for (const watcher of this.watchers.values()) {
      // A compacted watcher has left the hub; it no longer holds progress back.
      if (watcher.state !== 'synced' && watcher.state !== 'compacted') return false;
    }
    return true;
  }

  private pushProgressAll(): void {
    this.pushControl(emptyResponse(this.host.header(this.hub.currentRevision), INVALID_WATCH_ID));
  }

  private pushControl(response: WatchResponse): void {
    this.queue.push({ response, fragment: false, control: true });
    this.controlQueued++;
    this.host.wake();
  }

  private startProgressTimer(): void {
    if (this.progressTimer !== null) return;
    this.progressTimer = setInterval(() => this.progressTick(), this.progressIntervalMs);
    this.progressTimer.unref();
  }

  private progressTick(): void {
    for (const [id, due] of this.progressDue) {
      const watcher = this.watchers.get(id);
      if (due && watcher !== undefined) this.hub.progress(watcher);
      this.progressDue.set(id, true);
    }
  }
}
