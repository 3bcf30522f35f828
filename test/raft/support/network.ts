// A deterministic in-process cluster for raft tests: each member is a RaftNode
// over a MemoryStorage "disk"; the harness persists, applies and delivers
// Ready output, and can cut links, drop or reorder messages by a seeded choice.

import { decodeConfChange } from '../../../src/raft/message-codec.js';
import { MessageType, type Message } from '../../../src/raft/message.js';
import { RaftNode, type Ready } from '../../../src/raft/raft-node.js';
import { RaftState } from '../../../src/raft/raft-state.js';
import { MemoryStorage } from '../../../src/raft/storage.js';
import { EntryType, type ConfState, type Entry, type MemberId } from '../../../src/raft/types.js';
import { seededRandom } from './prng.js';

/** Messages in flight at once; a test exceeding it has a runaway loop. */
const MAX_QUEUED_MESSAGES = 100_000;
/** Deliveries per deliverAll() call. */
const MAX_DELIVERIES_PER_CALL = 100_000;
/** Ready rounds processed for one member in a row. */
const MAX_READY_ROUNDS = 1_000;

export interface NetworkOptions {
  readonly voters: readonly MemberId[];
  readonly learners?: readonly MemberId[];
  readonly seed?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly maxSizePerMsgBytes?: number;
  readonly maxInflightMsgs?: number;
  readonly readOnlyOption?: 'safe' | 'lease-based';
  /** Probability in [0, 1) that any one message is lost. */
  readonly dropRate?: number;
  /** Deliver a randomly chosen queued message rather than the oldest. */
  readonly reorder?: boolean;
}

export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
  readonly data: string;
}

/** One member: its node, its "disk", and the state machine it applied. */
export class SimMember {
  node: RaftNode;
  up = true;
  /** Normal entries with data, in apply order. */
  applied: AppliedEntry[] = [];
  appliedIndex = 0;
  readStates: { index: number; context: string }[] = [];

  constructor(
    readonly id: MemberId,
    readonly storage: MemoryStorage,
    private readonly makeNode: (storage: MemoryStorage) => RaftNode,
  ) {
    this.node = makeNode(storage);
  }

  /** A crash and restart: volatile state is lost, the disk survives, the log is re-applied. */
  restart(): void {
    this.node = this.makeNode(this.storage);
    const snap = this.storage.snapshot();
    this.applied = decodeApplied(snap.data);
    this.appliedIndex = snap.metadata.index;
    this.readStates = [];
    this.up = true;
  }

  state(): RaftState {
    return this.node.status().raftState;
  }
}

export class Network {
  readonly members = new Map<MemberId, SimMember>();
  private queue: Message[] = [];
  private readonly cutLinks = new Set<string>();
  readonly random: () => number;
  private dropRate: number;
  private readonly reorder: boolean;
  /** Messages this predicate matches are lost in transit. */
  dropWhere: ((m: Message) => boolean) | undefined;
  /** Observers of every Ready, for invariant checks. */
  readonly onReady: ((m: SimMember, rd: Ready) => void)[] = [];
  /** Committed entries by index, as first applied anywhere. */
  readonly committed = new Map<number, AppliedEntry>();
  private readonly opts: NetworkOptions;

  constructor(opts: NetworkOptions) {
    this.opts = opts;
    this.random = seededRandom(opts.seed ?? 1);
    this.dropRate = opts.dropRate ?? 0;
    this.reorder = opts.reorder ?? false;
    const cs: ConfState = { voters: [...opts.voters], learners: [...(opts.learners ?? [])] };
    for (const id of [...cs.voters, ...cs.learners]) this.addMember(id, cs);
  }

  /** Adds a member whose fresh disk knows the configuration `cs`. */
  addMember(id: MemberId, cs: ConfState): SimMember {
    const o = this.opts;
    const nodeSeed = Math.floor(this.random() * 2 ** 31);
    const makeNode = (storage: MemoryStorage): RaftNode => new RaftNode({
      id, storage,
      electionTicks: o.electionTicks ?? 10,
      heartbeatTicks: o.heartbeatTicks ?? 1,
      random: seededRandom(nodeSeed + Number(id)),
      maxSizePerMsgBytes: o.maxSizePerMsgBytes ?? 1024 * 1024,
      maxInflightMsgs: o.maxInflightMsgs ?? 256,
      preVote: o.preVote ?? false,
      checkQuorum: o.checkQuorum ?? false,
      readOnlyOption: o.readOnlyOption ?? 'safe',
      maxUncommittedEntriesBytes: 0,
    });
    const m = new SimMember(id, new MemoryStorage(cs), makeNode);
    this.members.set(id, m);
    return m;
  }

  member(id: MemberId): SimMember {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  setDropRate(rate: number): void {
    this.dropRate = rate;
  }

  // ---- faults ----------------------------------------------------------------

  cut(a: MemberId, b: MemberId): void {
    this.cutLinks.add(`${a}->${b}`);
    this.cutLinks.add(`${b}->${a}`);
  }

  isolate(id: MemberId): void {
    for (const other of this.members.keys()) if (other !== id) this.cut(id, other);
  }

  /** Only members in the same group can talk. */
  partition(...groups: MemberId[][]): void {
    for (const g of groups) for (const h of groups) {
      if (g === h) continue;
      for (const a of g) for (const b of h) this.cut(a, b);
    }
  }

  heal(): void {
    this.cutLinks.clear();
  }

  crash(id: MemberId): void {
    this.member(id).up = false;
  }

  // ---- driving ---------------------------------------------------------------

  /** Persists, applies and sends what a member's Ready says, until it has nothing more. */
  process(m: SimMember): void {
    for (let round = 0; round < MAX_READY_ROUNDS && m.up && m.node.hasReady(); round++) {
      const rd = m.node.ready();
      for (const observe of this.onReady) observe(m, rd);
      if (rd.snapshot !== undefined) this.installSnapshot(m, rd);
      m.storage.append(rd.entries);
      if (rd.hardState !== undefined) m.storage.setHardState(rd.hardState);
      for (const msg of rd.messages) this.enqueue(msg);
      for (const e of rd.committedEntries) this.apply(m, e);
      for (const rs of rd.readStates) m.readStates.push({ index: rs.index, context: new TextDecoder().decode(rs.context) });
      m.node.advance(rd);
    }
  }

  private installSnapshot(m: SimMember, rd: Ready): void {
    const snap = rd.snapshot;
    if (snap === undefined) return;
    m.storage.applySnapshot(snap);
    m.applied = decodeApplied(snap.data);
    m.appliedIndex = snap.metadata.index;
  }

  private apply(m: SimMember, e: Entry): void {
    if (e.index !== m.appliedIndex + 1) throw new Error(`member ${m.id} applied ${e.index} after ${m.appliedIndex}`);
    m.appliedIndex = e.index;
    const record: AppliedEntry = { index: e.index, term: e.term, data: new TextDecoder().decode(e.data) };
    const seen = this.committed.get(e.index);
    if (seen === undefined) this.committed.set(e.index, record);
    else if (seen.term !== record.term || seen.data !== record.data) {
      throw new Error(`member ${m.id} applied ${JSON.stringify(record)} where ${JSON.stringify(seen)} was committed`);
    }
    if (e.type === EntryType.ConfChange) m.node.applyConfChange(decodeConfChange(e.data));
    else if (e.data.length > 0) m.applied.push(record);
  }

  private enqueue(msg: Message): void {
    if (this.queue.length >= MAX_QUEUED_MESSAGES) throw new Error('message queue overflow');
    this.queue.push(msg);
  }

  /** Delivers queued messages (and whatever they cause) until none are left. */
  deliverAll(): void {
    for (let n = 0; n < MAX_DELIVERIES_PER_CALL && this.queue.length > 0; n++) {
      const at = this.reorder ? Math.floor(this.random() * this.queue.length) : 0;
      const [msg] = this.queue.splice(at, 1);
      if (msg === undefined) break;
      const delivered = this.deliver(msg);
      // As a transport does: tell the leader how its snapshot send went.
      if (msg.type === MessageType.MsgSnap) this.reportSnapshot(msg, delivered);
    }
  }

  private deliver(msg: Message): boolean {
    const to = this.members.get(msg.to);
    if (to === undefined || !to.up || this.cutLinks.has(`${msg.from}->${msg.to}`)) return false;
    if (this.dropRate > 0 && this.random() < this.dropRate) return false;
    if (this.dropWhere !== undefined && this.dropWhere(msg)) return false;
    to.node.step(msg);
    this.process(to);
    return true;
  }

  private reportSnapshot(msg: Message, delivered: boolean): void {
    const from = this.members.get(msg.from);
    if (from === undefined || !from.up) return;
    from.node.reportSnapshot(msg.to, delivered);
    this.process(from);
  }

  /** Drops every message in flight (as a network outage would). */
  clearQueue(): void {
    this.queue = [];
  }

  /** Ticks every live member `ticks` times, settling the network after each tick. */
  tick(ticks = 1): void {
    for (let t = 0; t < ticks; t++) {
      for (const m of this.members.values()) {
        if (!m.up) continue;
        m.node.tick();
        this.process(m);
      }
      this.deliverAll();
    }
  }

  /** Lets the cluster settle: process every member and deliver until quiet. */
  settle(): void {
    for (const m of this.members.values()) this.process(m);
    this.deliverAll();
  }

  campaign(id: MemberId): void {
    const m = this.member(id);
    m.node.campaign();
    this.process(m);
    this.deliverAll();
  }

  propose(id: MemberId, data: string): void {
    const m = this.member(id);
    m.node.propose(new TextEncoder().encode(data));
    this.process(m);
    this.deliverAll();
  }

  /** The member every live member agrees leads, if any. */
  leader(): SimMember | undefined {
    const leaders = [...this.members.values()].filter((m) => m.up && m.state() === RaftState.Leader);
    leaders.sort((a, b) => b.node.status().term - a.node.status().term);
    return leaders[0];
  }

  /** Makes a snapshot of member `id`'s applied state at its applied index and compacts its log. */
  compact(id: MemberId): void {
    const m = this.member(id);
    m.storage.createSnapshot(m.appliedIndex, m.node.confState(), encodeApplied(m.applied));
    m.storage.compact(m.appliedIndex);
  }

  appliedData(id: MemberId): string[] {
    return this.member(id).applied.map((e) => e.data);
  }
}

export function isMsg(type: MessageType): (m: Message) => boolean {
  return (m) => m.type === type;
}

function encodeApplied(applied: readonly AppliedEntry[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(applied));
}

function decodeApplied(data: Uint8Array): AppliedEntry[] {
  if (data.length === 0) return [];
  const parsed: unknown = JSON.parse(new TextDecoder().decode(data));
  if (!Array.isArray(parsed)) throw new Error('snapshot data is not an applied list');
  return parsed.map((x: unknown) => {
    if (typeof x !== 'object' || x === null) throw new Error('bad applied entry');
    const r = x as Record<string, unknown>;
    return { index: Number(r['index']), term: Number(r['term']), data: String(r['data']) };
  });
}
