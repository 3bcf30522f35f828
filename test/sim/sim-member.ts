// One simulated server: a real RaftNode over a SimDisk, the Ready loop
// (persist, fsync later, then send, apply, serve reads), and client requests.

import { ProposalDroppedError } from '../../src/raft/errors.js';
import type { Message } from '../../src/raft/message.js';
import { RaftNode, type Ready } from '../../src/raft/raft-node.js';
import { RaftState } from '../../src/raft/raft-state.js';
import { EntryType, type ConfState, type Entry, type MemberId } from '../../src/raft/types.js';
import { assert } from '../../src/util/assert.js';
import { seededRandom, type SeededRandom } from '../../src/util/seeded-random.js';
import type { ClientAnswer, ClientRequest } from './client-protocol.js';
import { decodeCommand, encodeCommand, KvStateMachine, type KvCommand } from './kv-state-machine.js';
import type { SimVariant } from './sim-options.js';
import { SimDisk } from './sim-disk.js';

/** Ready rounds handled in one go; more means raft keeps producing work by itself. */
const READY_ROUNDS_MAX = 1_000;
const ELECTION_TICKS = 10;
const HEARTBEAT_TICKS = 1;

/** What a member needs from the simulated world around it. */
export interface MemberEnv {
  readonly random: SeededRandom;
  readonly variant: SimVariant;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  sendRaft(msg: Message): void;
  scheduleFsync(member: SimMember): void;
  answer(request: ClientRequest, answer: ClientAnswer): void;
  observeReady(member: SimMember, rd: Ready): void;
  observeApply(member: SimMember, entry: Entry): void;
}

export class SimMember {
  readonly disk: SimDisk;
  node: RaftNode | undefined;
  kv = new KvStateMachine();
  appliedIndex = 0;
  /** Bumped on every crash, so events meant for an earlier life are ignored. */
  incarnation = 0;
  private syncing: Ready | undefined;
  /** The Ready whose messages already went out (a leader sends before its fsync). */
  private messagesSentFor: Ready | undefined;
  private readonly awaitingApply = new Map<string, ClientRequest>();
  private readonly awaitingReadState = new Map<string, ClientRequest>();
  private readsAwaitingIndex: { index: number; request: ClientRequest }[] = [];

  constructor(
    readonly id: MemberId,
    founders: ConfState,
    readonly tickIntervalNs: number,
    private readonly env: MemberEnv,
  ) {
    this.disk = new SimDisk(founders);
    this.start();
  }

  get up(): boolean {
    return this.node !== undefined;
  }

  isLeader(): boolean {
    return this.node?.status().raftState === RaftState.Leader;
  }

  /** One line on where this member stands, for reports of a run that went wrong. */
  describe(): string {
    const st = this.node?.status();
    const log = `log [${this.disk.volatile.firstIndex()}, ${this.disk.volatile.lastIndex()}]`;
    if (st === undefined) return `member ${this.id} down, ${log}`;
    const progress = st.progress === undefined ? '' : ' progress ' + [...st.progress]
      .map(([id, p]) => `${id}:${p.match}/${p.next}/${p.state}`).join(' ');
    return `member ${this.id} ${st.raftState} term ${st.term} lead ${st.lead} commit ${st.commit} ` +
      `applied ${this.appliedIndex} ${log}${this.syncing === undefined ? '' : ' awaiting fsync'}${progress}`;
  }

  /** Boots from whatever the disk holds, as after a restart. */
  start(): void {
    assert(this.node === undefined, `member ${this.id} started twice`);
    const storage = this.disk.volatile;
    const snap = storage.snapshot();
    this.kv = KvStateMachine.decode(snap.data);
    this.appliedIndex = snap.metadata.index;
    this.node = new RaftNode({
      id: this.id, storage, electionTicks: ELECTION_TICKS, heartbeatTicks: HEARTBEAT_TICKS,
      random: seededRandom(this.env.random.int(1, 2 ** 31)).next,
      maxSizePerMsgBytes: 64 * 1024, maxInflightMsgs: 64,
      preVote: this.env.preVote, checkQuorum: this.env.checkQuorum, readOnlyOption: 'safe',
      maxUncommittedEntriesBytes: 0, applied: snap.metadata.index,
    });
  }

  /** Power cut: volatile state and unsynced writes are gone; returns how many writes were lost. */
  crash(): number {
    this.node = undefined;
    this.incarnation++;
    this.syncing = undefined;
    this.awaitingApply.clear();
    this.awaitingReadState.clear();
    this.readsAwaitingIndex = [];
    return this.disk.crash();
  }

  tick(): void {
    this.node?.tick();
    this.pump();
  }

  step(msg: Message): void {
    this.node?.step(msg);
    this.pump();
  }

  reportSnapshot(to: MemberId, ok: boolean): void {
    this.node?.reportSnapshot(to, ok);
    this.pump();
  }

  handleClient(request: ClientRequest): void {
    const node = this.node;
    if (node === undefined) return;
    const call = request.call;
    if (call.kind === 'read') {
      const local = this.env.variant === 'follower-local-reads' ||
        (this.env.variant === 'leader-local-reads' && this.isLeader());
      if (local) {
        this.env.answer(request, { kind: 'read', value: this.kv.get(call.key) });
        return;
      }
      this.awaitingReadState.set(request.rid, request);
      node.readIndex(new TextEncoder().encode(request.rid));
    } else {
      try {
        node.propose(encodeCommand(call));
      } catch (e) {
        if (!(e instanceof ProposalDroppedError)) throw e;
        this.env.answer(request, { kind: 'refused' });
        return;
      }
      if (this.env.variant === 'ack-before-commit') this.env.answer(request, this.kv.preview(call));
      else this.awaitingApply.set(request.rid, request);
    }
    this.pump();
  }

  /** Proposes a command no client waits for; false when this member cannot take proposals now. */
  proposeUnwatched(cmd: KvCommand): boolean {
    const node = this.node;
    if (node === undefined) return false;
    try {
      node.propose(encodeCommand(cmd));
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
      return false;
    }
    this.pump();
    return true;
  }

  /** The fsync of the outstanding Ready finished (if this is still the life that started it). */
  fsyncDone(incarnation: number): void {
    const rd = this.syncing;
    if (incarnation !== this.incarnation || rd === undefined) return;
    this.disk.fsync();
    this.syncing = undefined;
    this.finish(rd);
    this.pump();
  }

  /** Snapshots the applied state and drops the log before it; false when there is nothing to drop. */
  compact(): boolean {
    const node = this.node;
    if (node === undefined || this.syncing !== undefined) return false;
    if (this.appliedIndex <= this.disk.volatile.snapshot().metadata.index) return false;
    this.disk.snapshotAndCompact(this.appliedIndex, node.confState(), this.kv.encode());
    return true;
  }

  /** Persists each Ready; one that needs an fsync waits for it before anything else happens. */
  private pump(): void {
    for (let round = 0; round < READY_ROUNDS_MAX; round++) {
      const node = this.node;
      if (node === undefined || this.syncing !== undefined || !node.hasReady()) return;
      const rd = node.ready();
      this.env.observeReady(this, rd);
      if (rd.snapshot !== undefined) this.disk.installSnapshot(rd.snapshot);
      this.disk.appendEntries(rd.entries);
      if (rd.hardState !== undefined) this.disk.setHardState(rd.hardState);
      // As the server's driver (and etcd): a leader sends before its fsync, everyone else after.
      if (node.lead === this.id) this.sendMessages(rd);
      // As etcd: a commit-index-only change is written but not waited for.
      if (rd.mustSync || rd.snapshot !== undefined) {
        this.syncing = rd;
        this.env.scheduleFsync(this);
        return;
      }
      this.finish(rd);
    }
    assert(false, `member ${this.id} produced ${READY_ROUNDS_MAX} Ready rounds in a row`);
  }

  private finish(rd: Ready): void {
    const node = this.node;
    assert(node !== undefined, 'finishing a Ready of a crashed member');
    this.sendMessages(rd);
    if (rd.snapshot !== undefined) {
      this.kv = KvStateMachine.decode(rd.snapshot.data);
      this.appliedIndex = rd.snapshot.metadata.index;
    }
    for (const e of rd.committedEntries) this.apply(e);
    for (const rs of rd.readStates) {
      const rid = new TextDecoder().decode(rs.context);
      const request = this.awaitingReadState.get(rid);
      if (request === undefined) continue;
      this.awaitingReadState.delete(rid);
      this.readsAwaitingIndex.push({ index: rs.index, request });
    }
    node.advance(rd);
    this.serveReads();
  }

  /** Sends a Ready's messages once, whether before its fsync (a leader) or after. */
  private sendMessages(rd: Ready): void {
    if (this.messagesSentFor === rd) return;
    this.messagesSentFor = rd;
    for (const msg of rd.messages) this.env.sendRaft(msg);
  }

  private apply(e: Entry): void {
    assert(e.index === this.appliedIndex + 1, `member ${this.id} applies ${e.index} after ${this.appliedIndex}`);
    assert(e.type === EntryType.Normal, 'the simulation makes no membership changes');
    this.appliedIndex = e.index;
    this.env.observeApply(this, e);
    const cmd = decodeCommand(e.data);
    if (cmd === undefined) return;
    const result = this.kv.apply(cmd);
    const waiting = this.awaitingApply.get(cmd.rid);
    if (result === undefined || waiting === undefined) return;
    this.awaitingApply.delete(cmd.rid);
    this.env.answer(waiting, result);
  }

  private serveReads(): void {
    const ready = this.readsAwaitingIndex.filter((r) => r.index <= this.appliedIndex);
    if (ready.length === 0) return;
    this.readsAwaitingIndex = this.readsAwaitingIndex.filter((r) => r.index > this.appliedIndex);
    for (const { request } of ready) {
      if (request.call.kind !== 'read') continue;
      this.env.answer(request, { kind: 'read', value: this.kv.get(request.call.key) });
    }
  }
}
