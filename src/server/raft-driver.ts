// Drives the pure raft core: ticks it on a timer, and turns each Ready into I/O in
// the order raft requires: apply what was committed (already durable), persist the
// new entries (WAL, one fsync for everything the Ready holds, which is how
// concurrent proposals share a group commit), then send (a leader sends first),
// then advance. One Ready is processed at a time; proposals arriving meanwhile
// accumulate for the next one. When the server is otherwise idle, the persistence may
// write on the event loop thread (`inline`); replies and events from entries applied
// earlier in the same pass are sent first.
import type { Logger } from '../log/logger.js';
import type { Message } from '../raft/message.js';
import type { RaftNode, Ready } from '../raft/raft-node.js';
import type { MemoryStorage } from '../raft/storage.js';
import type { Entry, HardState, Snapshot } from '../raft/types.js';

/** What the driver persists to before acknowledging: the WAL (absent for in-memory servers). */
export interface RaftPersistence {
  /** `inline`: nothing else waits for the event loop, so a small write may block it. */
  save(hardState: HardState | null, entries: readonly Entry[], inline: boolean): Promise<void>;
}

export interface RaftDriverHooks {
  /** A snapshot from the leader replaces the state machine before raft's log moves to it. */
  installSnapshot(snapshot: Snapshot): Promise<void>;
  /** Applies committed entries, in order, synchronously. */
  applyEntries(entries: readonly Entry[]): void;
  send(messages: readonly Message[]): void;
  /** No client call waits on the server but the writes being persisted. */
  idleButForWrites(): boolean;
  /** Every message given to send() has reached the kernel: a blocking write would hold none. */
  sentAll(): boolean;
  onReadState(index: number, context: Uint8Array): void;
  onLeaderChange(leader: bigint, term: number): void;
  /** A fatal I/O failure: the server must stop; acknowledging more would risk loss. */
  onFatal(error: Error): void;
}

export class RaftDriver {
  private running = false;
  private scheduled = false;
  private stopped = false;
  private ticker: NodeJS.Timeout | null = null;
  private lastLeader = 0n;
  private idle: Promise<void> = Promise.resolve();
  /** The newest hard state not yet written to the WAL (commit-only changes wait for the next sync). */
  private unsyncedHardState: HardState | null = null;
  /** This pass applied entries whose replies and events are not yet on their sockets. */
  private answersPending = false;

  constructor(
    readonly node: RaftNode,
    private readonly storage: MemoryStorage,
    private readonly persistence: RaftPersistence | null,
    private readonly hooks: RaftDriverHooks,
    readonly logger: Logger,
  ) {}

  start(tickIntervalMs: number): void {
    this.ticker = setInterval(() => {
      this.node.tick();
      this.schedule();
    }, tickIntervalMs);
    this.schedule();
  }

  /** Something changed inside the node (proposal, message, tick): process its Ready soon. */
  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running) this.idle = this.drain();
    });
  }

  /** Stops ticking and waits for the Ready being processed to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    await this.idle;
  }

  private async drain(): Promise<void> {
    this.running = true;
    // drain runs from setImmediate: whatever earlier passes answered has been flushed.
    this.answersPending = false;
    try {
      while (!this.stopped && this.node.hasReady()) {
        await this.process(this.node.ready());
      }
    } catch (error) {
      this.stopped = true;
      if (this.ticker !== null) clearInterval(this.ticker);
      this.hooks.onFatal(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.running = false;
    }
  }

  private async process(ready: Ready): Promise<void> {
    if (ready.softState !== undefined && ready.softState.lead !== this.lastLeader) {
      this.lastLeader = ready.softState.lead;
      this.hooks.onLeaderChange(ready.softState.lead, this.node.status().term);
    }
    if (ready.snapshot !== undefined) {
      await this.hooks.installSnapshot(ready.snapshot);
      this.storage.applySnapshot(ready.snapshot);
    }
    // A leader sends before it persists (raft thesis 10.2.1, as etcd does): followers write
    // their copies while the leader writes its own. Safe because the leader counts itself
    // toward a commit only once advance() marks its entries stable. It also sends before it
    // applies: under load the apply takes milliseconds the followers' writes need not wait
    // for (etcd applies in another goroutine). Everyone else must persist first: their
    // messages (votes, append acks) promise what is on their disk.
    const leading = this.lastLeader === this.node.id;
    if (leading && ready.messages.length > 0) this.hooks.send(ready.messages);
    // Committed entries are already on disk (raft only commits what was persisted), so
    // they are applied, and their clients answered, before this Ready's new entries are
    // synced: a write then waits for one fsync, not two.
    if (ready.committedEntries.length > 0) {
      this.hooks.applyEntries(ready.committedEntries);
      this.answersPending = true;
    }
    for (const readState of ready.readStates) this.hooks.onReadState(readState.index, readState.context);
    const hardState = ready.hardState ?? null;
    if (hardState !== null) this.unsyncedHardState = hardState;
    // A Ready that only moves the commit index need not be synced (raft's mustSync, as
    // etcd): that hard state rides along with the next save that must be.
    if (this.persistence !== null && ready.mustSync && (this.unsyncedHardState !== null || ready.entries.length > 0)) {
      const toSave = this.unsyncedHardState;
      this.unsyncedHardState = null;
      // A leader whose appends still wait for the event loop writes through the thread
      // pool: a write blocking the loop would hold them until its own copy is durable,
      // instead of letting followers write theirs meanwhile.
      // Idle first: a busy server never asks the transport to look at its links.
      const inline = this.hooks.idleButForWrites() && !(leading && ready.messages.length > 0 && !this.hooks.sentAll());
      if (inline && this.answersPending) {
        // Replies and watch events are flushed in later ticks and microtasks: let them go
        // out before the event loop is blocked by the write.
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.answersPending = false;
      }
      await this.persistence.save(toSave, ready.entries, inline);
    }
    if (hardState !== null) this.storage.setHardState(hardState);
    if (ready.entries.length > 0) this.storage.append(ready.entries);
    if (!leading && ready.messages.length > 0) this.hooks.send(ready.messages);
    this.node.advance(ready);
  }
}
