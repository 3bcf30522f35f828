// The application's handle on one raft member: feed it ticks, messages and
// proposals; collect a Ready (what to persist, send and apply); advance.

import { assert } from '../util/assert.js';
import type { RaftConfig } from './config.js';
import { ProposalDroppedError } from './errors.js';
import { encodeConfChange } from './message-codec.js';
import { isLocalMessage, isResponseMessage, makeMessage, MessageType, type Message } from './message.js';
import type { ProgressState } from './progress.js';
import { Raft } from './raft.js';
import { RaftState, type ReadState, type SoftState } from './raft-state.js';
import {
  EntryType,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type MemberId,
  type Snapshot,
} from './types.js';

export interface Ready {
  /** Present only when the leader or role changed. */
  readonly softState?: SoftState;
  /** Present only when changed; persist with or after `entries` (its commit may point into them). */
  readonly hardState?: HardState;
  /** Persist (append, replacing any conflicting suffix) before sending messages. */
  readonly entries: readonly Entry[];
  /** Persist and apply to the state machine when present. */
  readonly snapshot?: Snapshot;
  /** Apply in order; all of them are already persisted. */
  readonly committedEntries: readonly Entry[];
  /** Send after persisting hardState, entries and snapshot. */
  readonly messages: readonly Message[];
  /** Linearizable reads: serve each once the applied index reaches its index. */
  readonly readStates: readonly ReadState[];
  /** Whether the writes of this Ready must be fsynced before messages go out. */
  readonly mustSync: boolean;
}

export interface FollowerProgress {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
}

export interface RaftStatus {
  readonly id: MemberId;
  readonly term: number;
  readonly vote: MemberId;
  readonly commit: number;
  readonly applied: number;
  readonly lead: MemberId;
  readonly raftState: RaftState;
  readonly leadTransferee: MemberId;
  /** Every tracked member (including the leader itself); only on the leader. */
  readonly progress?: ReadonlyMap<MemberId, FollowerProgress>;
}

export class RaftNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** The Ready handed out and not yet advanced; a second one would repeat its entries. */
  private outstanding: Ready | undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.softState();
    this.prevHardState = this.raft.hardState();
  }

  get id(): MemberId {
    return this.raft.id;
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now instead of waiting for the election timeout. */
  campaign(): void {
    this.raft.step(makeMessage({ type: MessageType.MsgHup, from: this.raft.id }));
  }

  /**
   * Proposes data for the log; throws ProposalDroppedError when it cannot be accepted here.
   * The bytes are kept by reference until applied: do not mutate them afterwards.
   */
  propose(data: Uint8Array): void {
    this.stepProposal({ term: 0, index: 0, type: EntryType.Normal, data });
  }

  /** Proposes a single membership change; apply it with applyConfChange once committed. */
  proposeConfChange(cc: ConfChange): void {
    this.stepProposal({ term: 0, index: 0, type: EntryType.ConfChange, data: encodeConfChange(cc) });
  }

  private stepProposal(entry: Entry): void {
    this.raft.step(makeMessage({ type: MessageType.MsgProp, from: this.raft.id, entries: [entry] }));
  }

  /** Applies a committed conf change to the configuration; returns the new configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Feeds a message received from a peer. Messages that only make sense
   * locally, or responses from members we do not know, are ignored.
   */
  step(msg: Message): void {
    if (isLocalMessage(msg.type)) return;
    if (isResponseMessage(msg.type) && !this.raft.tracker.progress.has(msg.from)) return;
    try {
      this.raft.step(msg);
    } catch (e) {
      // A forwarded proposal the leader cannot take: its proposer times out and retries.
      if (e instanceof ProposalDroppedError) return;
      throw e;
    }
  }

  /** Requests a linearizable read; the answer arrives as a ReadState carrying `context`. */
  readIndex(context: Uint8Array): void {
    const entry: Entry = { term: 0, index: 0, type: EntryType.Normal, data: context };
    this.raft.step(makeMessage({ type: MessageType.MsgReadIndex, from: this.raft.id, entries: [entry] }));
  }

  /** Asks the leader to hand leadership to `to` (forwarded when called on a follower). */
  transferLeadership(to: MemberId): void {
    // As in etcd, the transferee travels in `from`.
    this.raft.step(makeMessage({ type: MessageType.MsgTransferLeader, from: to, to: this.raft.lead }));
  }

  reportUnreachable(id: MemberId): void {
    this.raft.step(makeMessage({ type: MessageType.MsgUnreachable, from: id }));
  }

  reportSnapshot(id: MemberId, ok: boolean): void {
    this.raft.step(makeMessage({ type: MessageType.MsgSnapStatus, from: id, reject: !ok }));
  }

  /** False while a Ready is outstanding: advance() it first. */
  hasReady(): boolean {
    if (this.outstanding !== undefined) return false;
    const r = this.raft;
    if (!softStateEqual(this.softState(), this.prevSoftState)) return true;
    if (!hardStateEqual(r.hardState(), this.prevHardState)) return true;
    if (r.log.unstable.snapshot !== undefined) return true;
    if (r.log.unstable.entries.length > 0 || r.msgs.length > 0 || r.readStates.length > 0) return true;
    return r.log.hasNextCommittedEntries();
  }

  /**
   * Collects everything to persist, send and apply. Call advance() with the
   * result before the next ready(); messages and read states are handed out once.
   */
  ready(): Ready {
    assert(this.outstanding === undefined, 'ready() called again before advance()');
    const r = this.raft;
    const soft = this.softState();
    const hard = r.hardState();
    const entries = r.log.unstableEntries();
    const committedEntries = r.log.nextCommittedEntries();
    const hardChanged = !hardStateEqual(hard, this.prevHardState);
    // One shape for every Ready (absent parts are undefined, not missing): no spreads.
    const rd: Ready = {
      softState: softStateEqual(soft, this.prevSoftState) ? undefined : soft,
      hardState: hardChanged ? hard : undefined,
      snapshot: r.log.unstable.snapshot,
      entries,
      committedEntries,
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: entries.length > 0 || hard.term !== this.prevHardState.term || hard.vote !== this.prevHardState.vote,
    };
    r.msgs = [];
    r.readStates = [];
    if (rd.softState !== undefined) this.prevSoftState = rd.softState;
    if (rd.hardState !== undefined) this.prevHardState = rd.hardState;
    if (r.state === RaftState.Leader) r.reduceUncommittedSize(committedEntries);
    this.outstanding = rd;
    return rd;
  }

  /** Tells the core that `rd` is persisted, its messages sent and its committed entries applied. */
  advance(rd: Ready): void {
    assert(rd === this.outstanding, 'advance() of a Ready that is not the outstanding one');
    this.outstanding = undefined;
    const r = this.raft;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (rd.snapshot !== undefined) r.log.stableSnapTo(rd.snapshot.metadata.index);
    if (lastEntry !== undefined) {
      r.log.stableTo(lastEntry.index, lastEntry.term);
      r.onEntriesStable();
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    const applied = Math.max(lastApplied?.index ?? 0, rd.snapshot?.metadata.index ?? 0);
    if (applied > r.log.applied) {
      assert(applied <= r.log.committed, `applied ${applied} beyond commit ${r.log.committed}`);
      r.log.appliedTo(applied);
    }
  }

  /** The leader as this member knows it (0 when none): read on every request, so without status()'s copies. */
  get lead(): MemberId {
    return this.raft.lead;
  }

  get term(): number {
    return this.raft.term;
  }

  get commitIndex(): number {
    return this.raft.log.committed;
  }

  status(): RaftStatus {
    const r = this.raft;
    const base = {
      id: r.id, term: r.term, vote: r.vote, commit: r.log.committed, applied: r.log.applied,
      lead: r.lead, raftState: r.state, leadTransferee: r.leadTransferee,
    };
    if (r.state !== RaftState.Leader) return base;
    const progress = new Map<MemberId, FollowerProgress>();
    for (const [id, pr] of r.tracker.progress) {
      progress.set(id, {
        match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive, isLearner: pr.isLearner,
      });
    }
    return { ...base, progress };
  }

  /** The configuration as this member currently knows it. */
  confState(): ConfState {
    return this.raft.tracker.confState();
  }

  private softState(): SoftState {
    return { lead: this.raft.lead, raftState: this.raft.state };
  }
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.raftState === b.raftState;
}

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
