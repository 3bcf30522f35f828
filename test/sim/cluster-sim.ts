// One seeded run of a whole cluster in one process: real raft members over
// simulated disks and network, clients, a nemesis; then heal, converge, read
// everything back, and check raft's safety and the history's linearizability.

import { checkKvHistory, type CheckResult, type KvOperation } from '../../src/linearizability/index.js';
import { MessageType, type Message } from '../../src/raft/message.js';
import type { MemberId } from '../../src/raft/types.js';
import { assert } from '../../src/util/assert.js';
import { seededRandom, type SeededRandom } from '../../src/util/seeded-random.js';
import type { ClientAnswer, ClientRequest } from './client-protocol.js';
import { EventQueue } from './event-queue.js';
import { FaultCounts } from './fault-counts.js';
import { nemesisTurn, type NemesisTarget } from './nemesis.js';
import { SafetyMonitor } from './safety-monitor.js';
import { CLIENT_TIMEOUT_NS, SimClients, type ClientEnv } from './sim-clients.js';
import { SimMember, type MemberEnv } from './sim-member.js';
import { CALM_NETWORK, SimNetwork } from './sim-network.js';
import {
  DEFAULT_FAULT_PHASE_TICKS, shapeFromSeed, TICK_NS, type SimOptions, type SimShape, type SimVariant,
} from './sim-options.js';

/** Events one run may process; beyond it the harness itself is looping. */
const EVENTS_PER_RUN_MAX = 5_000_000;
const NEMESIS_INTERVAL_NS = 5 * TICK_NS;
/** After healing, the cluster must agree on a fresh entry within this much simulated time. */
const RECOVERY_NS_MAX = 10_000_000_000;
const RECOVERY_POLL_NS = 2 * TICK_NS;
const FINAL_READS_NS_MAX = 20 * CLIENT_TIMEOUT_NS;
const FSYNC_NS_MIN = 100_000;
const FSYNC_NS_MAX = 4_000_000;
const CLIENT_LATENCY_NS_MAX = 2_000_000;
/** Checker steps per history; a run that needs more reports "unknown" rather than stall a soak. */
const CHECK_STEPS_MAX = 5_000_000;

type SimEvent =
  | { readonly kind: 'tick'; readonly member: MemberId; readonly incarnation: number }
  | { readonly kind: 'fsync'; readonly member: MemberId; readonly incarnation: number }
  | { readonly kind: 'deliver'; readonly msg: Message }
  | { readonly kind: 'snapshot-status'; readonly member: MemberId; readonly to: MemberId; readonly ok: boolean }
  | { readonly kind: 'client-request'; readonly member: MemberId; readonly request: ClientRequest }
  | { readonly kind: 'client-answer'; readonly clientId: number; readonly rid: string; readonly answer: ClientAnswer }
  | { readonly kind: 'client-timeout'; readonly clientId: number; readonly rid: string }
  | { readonly kind: 'client-issue'; readonly clientId: number }
  | { readonly kind: 'nemesis' }
  | { readonly kind: 'restart'; readonly member: MemberId }
  | { readonly kind: 'heal'; readonly partitionGeneration: number };

export interface SimReport {
  readonly seed: number;
  readonly variant: SimVariant;
  readonly shape: SimShape;
  readonly history: readonly KvOperation[];
  readonly check: CheckResult;
  /** Raft safety (and convergence) violations. */
  readonly violations: readonly string[];
  readonly faults: FaultCounts;
  readonly eventsProcessed: number;
  readonly simulatedNs: number;
  /** A safety violation or a history proven not linearizable. */
  readonly anomaly: boolean;
}

export function runSimulation(options: SimOptions): SimReport {
  return new ClusterSim(options).run();
}

class ClusterSim implements NemesisTarget {
  readonly random: SeededRandom;
  readonly counts = new FaultCounts();
  readonly memberIds: readonly MemberId[];
  private readonly shape: SimShape;
  private readonly variant: SimVariant;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly network: SimNetwork;
  private readonly monitor = new SafetyMonitor();
  private readonly members = new Map<MemberId, SimMember>();
  private readonly clients: SimClients;
  private faultPhase = true;
  private partitionGeneration = 0;
  private eventsProcessed = 0;

  constructor(private readonly options: SimOptions) {
    this.random = seededRandom(options.seed);
    this.shape = shapeFromSeed(this.random);
    this.variant = options.variant ?? 'correct';
    this.network = new SimNetwork(this.random, this.shape.network, this.counts);
    this.memberIds = Array.from({ length: this.shape.memberCount }, (_, i) => BigInt(i + 1));
    const founders = { voters: this.memberIds, learners: [] };
    for (const id of this.memberIds) {
      const skew = (this.random.next() * 2 - 1) * this.shape.clockSkewMax;
      if (Math.abs(skew) > 0.05) this.counts.add('clock-skew');
      this.members.set(id, new SimMember(id, founders, Math.round(TICK_NS * (1 + skew)), this.memberEnv()));
    }
    this.clients = new SimClients(this.clientEnv(), this.shape.clientCount, this.shape.keys);
  }

  run(): SimReport {
    for (const m of this.members.values()) this.scheduleTick(m);
    this.clients.start();
    this.queue.schedule(NEMESIS_INTERVAL_NS, { kind: 'nemesis' });
    const faultPhaseTicks = this.options.faultPhaseTicks ?? DEFAULT_FAULT_PHASE_TICKS;
    this.runUntil(() => false, faultPhaseTicks * TICK_NS);
    this.healEverything();
    this.converge();
    this.clients.startFinalReads();
    this.runUntil(() => this.clients.idle, this.queue.nowNs + FINAL_READS_NS_MAX);
    const history = [...this.clients.history];
    const check = checkKvHistory(history, {
      searchStepsMax: CHECK_STEPS_MAX, explain: this.options.explainAnomalies ?? true,
    });
    const violations = [...this.monitor.violations];
    return {
      seed: this.options.seed, variant: this.variant, shape: this.shape, history, check, violations,
      faults: this.counts, eventsProcessed: this.eventsProcessed, simulatedNs: this.queue.nowNs,
      anomaly: violations.length > 0 || check.ok === false,
    };
  }

  // ---- phases ----------------------------------------------------------------

  private healEverything(): void {
    this.faultPhase = false;
    this.clients.stopIssuing();
    this.network.faults = CALM_NETWORK;
    this.network.heal();
    for (const m of this.members.values()) if (!m.up) this.restart(m);
  }

  /** Waits until every member applied a fresh marker entry, then checks they agree. */
  private converge(): void {
    const markerRid = 'recovery-marker';
    let nextProposalNs = 0;
    const converged = (): boolean => {
      const all = [...this.members.values()];
      if (all.every((m) => m.kv.hasApplied(markerRid)) && all.every((m) => m.appliedIndex === all[0]?.appliedIndex)) {
        return true;
      }
      const leader = this.leader();
      if (leader !== undefined && this.queue.nowNs >= nextProposalNs && !leader.kv.hasApplied(markerRid)) {
        leader.proposeUnwatched({ rid: markerRid, kind: 'write', key: '__marker', value: markerRid });
        nextProposalNs = this.queue.nowNs + 10 * RECOVERY_POLL_NS;
      }
      return false;
    };
    const done = this.runUntil(converged, this.queue.nowNs + RECOVERY_NS_MAX);
    if (!done) this.monitor.violation(`the healed cluster did not converge within ${RECOVERY_NS_MAX / 1e9} s`);
    if (!done) for (const m of this.members.values()) this.monitor.violation(`  at the end: ${m.describe()}`);
    this.monitor.checkConverged([...this.members.values()]);
  }

  /** Processes events until `stop()` holds (checked between events) or the clock passes `untilNs`. */
  private runUntil(stop: () => boolean, untilNs: number): boolean {
    for (;;) {
      if (stop()) return true;
      const next = this.queue.peekTimeNs();
      if (next === undefined || next > untilNs) return false;
      const event = this.queue.pop() as SimEvent;
      assert(++this.eventsProcessed <= EVENTS_PER_RUN_MAX, `seed ${this.options.seed}: event budget exhausted`);
      this.handle(event);
    }
  }

  private handle(e: SimEvent): void {
    switch (e.kind) {
      case 'tick': {
        const m = this.member(e.member);
        if (m.incarnation !== e.incarnation || !m.up) return;
        m.tick();
        this.monitor.observeLeadership(m);
        this.scheduleTick(m);
        return;
      }
      case 'fsync': this.member(e.member).fsyncDone(e.incarnation); return;
      case 'deliver': this.deliver(e.msg); return;
      case 'snapshot-status': this.member(e.member).reportSnapshot(e.to, e.ok); return;
      case 'client-request': this.member(e.member).handleClient(e.request); return;
      case 'client-answer': this.clients.answer(e.clientId, e.rid, e.answer); return;
      case 'client-timeout': this.clients.timeout(e.clientId, e.rid); return;
      case 'client-issue': this.clients.issue(e.clientId); return;
      case 'nemesis':
        if (!this.faultPhase) return;
        nemesisTurn(this, this.shape.nemesisRate);
        this.queue.schedule(NEMESIS_INTERVAL_NS, { kind: 'nemesis' });
        return;
      case 'restart': {
        const m = this.member(e.member);
        if (!m.up) this.restart(m);
        return;
      }
      case 'heal':
        if (e.partitionGeneration === this.partitionGeneration) this.network.heal();
        return;
    }
  }

  private deliver(msg: Message): void {
    const to = this.members.get(msg.to);
    const arrived = to !== undefined && to.up && !this.network.isCut(msg.from, msg.to);
    if (arrived) {
      to.step(msg);
      this.monitor.observeLeadership(to);
    }
    // As a transport does: tell the sender how its snapshot went.
    if (msg.type === MessageType.MsgSnap) this.reportSnapshotLater(msg, arrived);
  }

  private reportSnapshotLater(msg: Message, ok: boolean): void {
    this.queue.schedule(this.random.int(0, 1_000_000), { kind: 'snapshot-status', member: msg.from, to: msg.to, ok });
  }

  private restart(m: SimMember): void {
    m.start();
    this.counts.add('restart');
    this.scheduleTick(m);
  }

  private scheduleTick(m: SimMember): void {
    this.queue.schedule(m.tickIntervalNs, { kind: 'tick', member: m.id, incarnation: m.incarnation });
  }

  private member(id: MemberId): SimMember {
    const m = this.members.get(id);
    assert(m !== undefined, `no member ${id}`);
    return m;
  }

  private leader(): SimMember | undefined {
    let best: SimMember | undefined;
    for (const m of this.members.values()) {
      if (!m.isLeader()) continue;
      if (best === undefined || (m.node?.status().term ?? 0) > (best.node?.status().term ?? 0)) best = m;
    }
    return best;
  }

  // ---- what the nemesis may do -------------------------------------------------

  leaderId(): MemberId | undefined {
    return this.leader()?.id;
  }

  isUp(id: MemberId): boolean {
    return this.member(id).up;
  }

  crash(id: MemberId, downNs: number): void {
    const m = this.member(id);
    this.monitor.checkLog(m);
    if (m.crash() > 0) this.counts.add('lost-unsynced-writes');
    this.queue.schedule(downNs, { kind: 'restart', member: id });
  }

  partition(groups: readonly (readonly MemberId[])[], forNs: number): void {
    this.network.heal();
    this.network.partition(groups);
    this.queue.schedule(forNs, { kind: 'heal', partitionGeneration: ++this.partitionGeneration });
  }

  heal(): void {
    this.network.heal();
  }

  compact(id: MemberId): boolean {
    return this.member(id).compact();
  }

  // ---- environments handed to members and clients -------------------------------

  private memberEnv(): MemberEnv {
    return {
      random: this.random, variant: this.variant,
      preVote: this.shape.preVote, checkQuorum: this.shape.checkQuorum,
      sendRaft: (msg) => {
        const arrivals = this.network.plan(msg.from, msg.to);
        for (const delay of arrivals) this.queue.schedule(delay, { kind: 'deliver', msg });
        // A transport knows when a snapshot stream broke, and says so.
        if (arrivals.length === 0 && msg.type === MessageType.MsgSnap) this.reportSnapshotLater(msg, false);
      },
      scheduleFsync: (m) => {
        this.queue.schedule(this.random.int(FSYNC_NS_MIN, FSYNC_NS_MAX), { kind: 'fsync', member: m.id, incarnation: m.incarnation });
      },
      answer: (request, answer) => {
        if (this.clientMessageLost()) return;
        const event: SimEvent = { kind: 'client-answer', clientId: request.clientId, rid: request.rid, answer };
        this.queue.schedule(this.random.int(0, CLIENT_LATENCY_NS_MAX), event);
      },
      observeReady: (m) => this.monitor.observeLeadership(m),
      observeApply: (m, entry) => this.monitor.observeApply(m.id, entry),
    };
  }

  private clientEnv(): ClientEnv {
    const queue = this.queue;
    return {
      random: this.random,
      get nowNs(): number {
        return queue.nowNs;
      },
      memberIds: this.memberIds,
      send: (member, request) => {
        if (this.clientMessageLost()) return;
        queue.schedule(this.random.int(0, CLIENT_LATENCY_NS_MAX), { kind: 'client-request', member, request });
      },
      scheduleTimeout: (clientId, rid) => queue.schedule(CLIENT_TIMEOUT_NS, { kind: 'client-timeout', clientId, rid }),
      scheduleIssue: (clientId, afterNs) => queue.schedule(afterNs, { kind: 'client-issue', clientId }),
    };
  }

  private clientMessageLost(): boolean {
    if (!this.faultPhase || this.random.next() >= this.shape.network.dropRate / 2) return false;
    this.counts.add('client-message-lost');
    return true;
  }
}
