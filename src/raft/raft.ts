// The raft state machine of one member: terms, votes, roles and the log
// replication protocol. Pure and deterministic: input is step()/tick(), output
// is the `msgs` and `readStates` queues and the log, drained by RaftNode.

import { assert } from '../util/assert.js';
import { SILENT_LOGGER, validateConfig, type RaftConfig, type RaftLogger } from './config.js';
import { CompactedError, ProposalDroppedError, SnapshotTemporarilyUnavailableError } from './errors.js';
import { payloadSizeBytes } from './entry-size.js';
import { makeMessage, MessageType, voteResponseType, type Message } from './message.js';
import { ProgressState } from './progress.js';
import { ProgressTracker } from './progress-tracker.js';
import { VoteResult, quorumSize } from './quorum.js';
import { RaftLog } from './raft-log.js';
import { RaftState, type ReadState } from './raft-state.js';
import { ReadOnly, type ReadIndexStatus } from './read-only.js';
import { isEmptyHardState } from './storage.js';
import {
  ConfChangeType,
  EntryType,
  NO_MEMBER,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type MemberId,
  type Snapshot,
} from './types.js';

/** Vote context marking an election started by leader transfer: it may disturb a live leader. */
export const CAMPAIGN_TRANSFER_CONTEXT = new TextEncoder().encode('CampaignTransfer');

/** Read requests held until the new leader commits an entry of its term; more are dropped. */
export const MAX_PENDING_READ_INDEX_MESSAGES = 4096;

/** Bytes scanned for unapplied conf changes before a campaign. */
const CONF_CHANGE_SCAN_LIMIT_BYTES = 64 * 1024 * 1024;

type CampaignKind = 'pre-election' | 'election' | 'transfer';

export class Raft {
  readonly id: MemberId;
  term = 0;
  vote: MemberId = NO_MEMBER;
  lead: MemberId = NO_MEMBER;
  state = RaftState.Follower;
  isLearner = false;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  leadTransferee: MemberId = NO_MEMBER;
  /** Index of the latest conf change proposed; another may not be proposed until it is applied. */
  pendingConfIndex = 0;
  uncommittedSizeBytes = 0;
  readOnly: ReadOnly;
  private pendingReadIndexMessages: Message[] = [];
  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly maxMsgSizeBytes: number;
  private readonly maxUncommittedSizeBytes: number;
  private readonly random: () => number;
  readonly logger: RaftLogger;
  private tickFn: () => void = () => this.tickElection();
  private stepFn: (m: Message) => void = (m) => this.stepFollower(m);

  constructor(c: RaftConfig) {
    validateConfig(c);
    this.id = c.id;
    this.log = new RaftLog(c.storage, c.maxCommittedSizePerReadyBytes ?? c.maxSizePerMsgBytes);
    this.tracker = new ProgressTracker(c.maxInflightMsgs);
    this.readOnly = new ReadOnly(c.readOnlyOption);
    this.electionTimeout = c.electionTicks;
    this.heartbeatTimeout = c.heartbeatTicks;
    this.checkQuorum = c.checkQuorum;
    this.preVote = c.preVote;
    this.maxMsgSizeBytes = c.maxSizePerMsgBytes;
    this.maxUncommittedSizeBytes = c.maxUncommittedEntriesBytes;
    this.random = c.random;
    this.logger = c.logger ?? SILENT_LOGGER;
    const { hardState, confState } = c.storage.initialState();
    this.tracker.reset(confState, this.log.lastIndex() + 1);
    this.isLearner = this.tracker.learners.has(this.id);
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) this.log.appliedTo(c.applied);
    this.becomeFollower(this.term, NO_MEMBER);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private loadState(hs: HardState): void {
    const last = this.log.lastIndex();
    assert(
      hs.commit >= this.log.committed && hs.commit <= last,
      `stored commit ${hs.commit} outside [${this.log.committed}, ${last}]`,
    );
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  /** A member that may campaign: a voter in the configuration it knows. */
  promotable(): boolean {
    return this.tracker.voters.has(this.id);
  }

  // ---- sending -------------------------------------------------------------

  send(fields: Partial<Message> & { type: MessageType; to: MemberId }): void {
    const t = fields.type;
    const isVote = t === MessageType.MsgVote || t === MessageType.MsgPreVote;
    const isVoteResp = t === MessageType.MsgVoteResp || t === MessageType.MsgPreVoteResp;
    let term: number;
    if (isVote || isVoteResp) {
      assert(fields.term !== undefined && fields.term > 0, 'vote messages carry an explicit term');
      term = fields.term;
    } else if (t === MessageType.MsgProp || t === MessageType.MsgReadIndex) {
      // Forwarded requests are not bound to a term: the leader takes them as local.
      term = 0;
    } else {
      term = this.term;
    }
    // Forwarded requests keep their originator, who is owed the answer.
    const from = fields.from !== undefined && fields.from !== NO_MEMBER ? fields.from : this.id;
    this.msgs.push(makeMessage(fields, from, term));
  }

  /** Sends the entries `to` is missing (or a snapshot); false if nothing was sent. */
  maybeSendAppend(to: MemberId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    if (pr.next < this.log.firstIndex()) return this.sendSnapshot(to);
    let prevTerm: number;
    let entries: Entry[];
    try {
      prevTerm = this.log.term(pr.next - 1);
      entries = this.log.entries(pr.next, this.maxMsgSizeBytes);
    } catch (e) {
      if (e instanceof CompactedError) return this.sendSnapshot(to);
      throw e;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    const commit = this.log.committed;
    this.send({ type: MessageType.MsgApp, to, index: pr.next - 1, logTerm: prevTerm, entries, commit });
    const last = entries[entries.length - 1];
    if (last !== undefined) {
      if (pr.state === ProgressState.Replicate) {
        pr.optimisticUpdate(last.index);
        pr.inflights.add(last.index);
      } else if (pr.state === ProgressState.Probe) {
        pr.probeSent = true;
      }
    }
    return true;
  }

  private sendSnapshot(to: MemberId): boolean {
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || !pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.log.snapshot();
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) return false;
      throw e;
    }
    if (snapshot.metadata.index === 0) return false;
    pr.becomeSnapshot(snapshot.metadata.index);
    this.logger.info('sending snapshot', { to: String(to), index: snapshot.metadata.index });
    this.send({ type: MessageType.MsgSnap, to, snapshot });
    return true;
  }

  private sendHeartbeat(to: MemberId, context: Uint8Array | undefined): void {
    const pr = this.tracker.progress.get(to);
    // A follower may not have the entries up to our commit yet; never tell it to commit past its match.
    const commit = Math.min(pr?.match ?? 0, this.log.committed);
    this.send({ type: MessageType.MsgHeartbeat, to, commit, ...(context ? { context } : {}) });
  }

  bcastAppend(): void {
    for (const id of this.tracker.progress.keys()) if (id !== this.id) this.maybeSendAppend(id, true);
  }

  private bcastHeartbeat(context: Uint8Array | undefined): void {
    for (const id of this.tracker.progress.keys()) if (id !== this.id) this.sendHeartbeat(id, context);
  }

  // ---- role transitions ----------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NO_MEMBER;
    }
    this.lead = NO_MEMBER;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NO_MEMBER;
    this.tracker.resetVotes();
    this.tracker.resetProgress(this.log.lastIndex() + 1);
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) self.match = this.lastStableIndex();
    this.pendingConfIndex = 0;
    this.uncommittedSizeBytes = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
    this.pendingReadIndexMessages = [];
  }

  /** Our own log counts towards a quorum only once it is on disk. */
  lastStableIndex(): number {
    return this.log.unstable.offset - 1;
  }

  private resetRandomizedElectionTimeout(): void {
    const r = this.random();
    assert(r >= 0 && r < 1, `injected random source returned ${r}, outside [0, 1)`);
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(r * this.electionTimeout);
  }

  becomeFollower(term: number, lead: MemberId): void {
    this.stepFn = (m) => this.stepFollower(m);
    this.reset(term);
    this.tickFn = () => this.tickElection();
    this.lead = lead;
    this.state = RaftState.Follower;
  }

  private becomePreCandidate(): void {
    assert(this.state !== RaftState.Leader, 'leader cannot become pre-candidate');
    // Term and vote stay: a pre-election must not disturb anyone if it fails.
    this.stepFn = (m) => this.stepCandidate(m);
    this.tracker.resetVotes();
    this.tickFn = () => this.tickElection();
    this.lead = NO_MEMBER;
    this.state = RaftState.PreCandidate;
  }

  private becomeCandidate(): void {
    assert(this.state !== RaftState.Leader, 'leader cannot become candidate');
    this.stepFn = (m) => this.stepCandidate(m);
    this.reset(this.term + 1);
    this.tickFn = () => this.tickElection();
    this.vote = this.id;
    this.state = RaftState.Candidate;
  }

  becomeLeader(): void {
    assert(this.state !== RaftState.Follower, 'follower cannot become leader without an election');
    this.stepFn = (m) => this.stepLeader(m);
    this.reset(this.term);
    this.tickFn = () => this.tickHeartbeat();
    this.lead = this.id;
    this.state = RaftState.Leader;
    this.tracker.progress.get(this.id)?.becomeReplicate();
    // Conservatively assume the tail of the log holds an unapplied conf change.
    this.pendingConfIndex = this.log.lastIndex();
    // An entry of our own term is what lets earlier-term entries commit.
    const ok = this.appendEntries([{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }]);
    assert(ok, 'the empty leader entry is never refused');
    this.logger.info('became leader', { id: String(this.id), term: this.term });
  }

  // ---- ticks ---------------------------------------------------------------

  tick(): void {
    this.tickFn();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(makeMessage({ type: MessageType.MsgHup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(makeMessage({ type: MessageType.MsgCheckQuorum, from: this.id }));
      if (this.state === RaftState.Leader && this.leadTransferee !== NO_MEMBER) this.leadTransferee = NO_MEMBER;
    }
    if (this.state !== RaftState.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(makeMessage({ type: MessageType.MsgBeat, from: this.id }));
    }
  }

  // ---- elections -----------------------------------------------------------

  private hup(kind: 'election' | 'transfer'): void {
    if (this.state === RaftState.Leader || !this.promotable()) return;
    if (this.hasUnappliedConfChanges()) {
      this.logger.warn('cannot campaign: conf changes committed but not applied', { term: this.term });
      return;
    }
    if (kind === 'transfer') this.campaign('transfer');
    else this.campaign(this.preVote ? 'pre-election' : 'election');
  }

  private hasUnappliedConfChanges(): boolean {
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex());
    const hi = this.log.committed + 1;
    if (lo >= hi) return false;
    const ents = this.log.slice(lo, hi, CONF_CHANGE_SCAN_LIMIT_BYTES);
    return ents.some((e) => e.type === EntryType.ConfChange);
  }

  private campaign(kind: CampaignKind): void {
    let voteType: MessageType;
    let term: number;
    if (kind === 'pre-election') {
      this.becomePreCandidate();
      voteType = MessageType.MsgPreVote;
      // Ask as if for the next term, without moving to it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = MessageType.MsgVote;
      term = this.term;
    }
    if (this.poll(this.id, true) === VoteResult.Won) {
      // A lone voter wins at once.
      if (kind === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const context = kind === 'transfer' ? CAMPAIGN_TRANSFER_CONTEXT : undefined;
    for (const id of this.tracker.voters) {
      if (id === this.id) continue;
      this.send({
        type: voteType, to: id, term, index: this.log.lastIndex(), logTerm: this.log.lastTerm(),
        ...(context ? { context } : {}),
      });
    }
  }

  private poll(id: MemberId, granted: boolean): VoteResult {
    this.tracker.recordVote(id, granted);
    return this.tracker.tallyVotes();
  }

  // ---- step ----------------------------------------------------------------

  /** Feeds one message (local or from a peer) to the state machine. */
  step(m: Message): void {
    if (m.term > this.term) {
      if (!this.stepHigherTerm(m)) return;
    } else if (m.term !== 0 && m.term < this.term) {
      this.stepLowerTerm(m);
      return;
    }
    switch (m.type) {
      case MessageType.MsgHup:
        this.hup('election');
        return;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote:
        this.handleVoteRequest(m);
        return;
      default:
        this.stepFn(m);
    }
  }

  /** Moves to a higher term when a message demands it; false if the message is to be ignored. */
  private stepHigherTerm(m: Message): boolean {
    if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
      const force = bytesEqual(m.context, CAMPAIGN_TRANSFER_CONTEXT);
      const inLease = this.checkQuorum && this.lead !== NO_MEMBER && this.electionElapsed < this.electionTimeout;
      // We heard from a live leader recently: a disruptive candidate (for example one
      // rejoining from a partition) must not depose it.
      if (!force && inLease) return false;
    }
    if (m.type === MessageType.MsgPreVote) return true;
    if (m.type === MessageType.MsgPreVoteResp && !m.reject) return true;
    const fromLeader =
      m.type === MessageType.MsgApp || m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgSnap;
    this.becomeFollower(m.term, fromLeader ? m.from : NO_MEMBER);
    return true;
  }

  private stepLowerTerm(m: Message): void {
    if ((this.checkQuorum || this.preVote) && (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp)) {
      // A stale leader (for example one back from a partition) learns our term and steps down;
      // without this, PreVote would leave it stranded and the cluster deadlocked.
      this.send({ type: MessageType.MsgAppResp, to: m.from });
    } else if (m.type === MessageType.MsgPreVote) {
      this.send({ type: MessageType.MsgPreVoteResp, to: m.from, term: this.term, reject: true });
    }
  }

  private handleVoteRequest(m: Message): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NO_MEMBER && this.lead === NO_MEMBER) ||
      (m.type === MessageType.MsgPreVote && m.term > this.term);
    const respType = voteResponseType(m.type);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send({ type: respType, to: m.from, term: m.term });
      if (m.type === MessageType.MsgVote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.MsgProp:
        if (this.lead === NO_MEMBER) throw new ProposalDroppedError('no leader');
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.MsgApp:
      case MessageType.MsgHeartbeat:
      case MessageType.MsgSnap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleFromLeader(m);
        return;
      case MessageType.MsgTransferLeader:
      case MessageType.MsgReadIndex:
        if (this.lead === NO_MEMBER) return;
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.MsgTimeoutNow:
        this.logger.info('campaigning at leader transfer request', { term: this.term });
        this.hup('transfer');
        return;
      case MessageType.MsgReadIndexResp:
        this.readStates.push({ index: m.index, context: m.entries[0]?.data ?? new Uint8Array(0) });
        return;
      default:
        return;
    }
  }

  private stepCandidate(m: Message): void {
    const myResp = this.state === RaftState.PreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
    switch (m.type) {
      case MessageType.MsgProp:
        throw new ProposalDroppedError('no leader (election in progress)');
      case MessageType.MsgApp:
      case MessageType.MsgHeartbeat:
      case MessageType.MsgSnap:
        // Someone won this term; follow them.
        this.becomeFollower(m.term, m.from);
        this.handleFromLeader(m);
        return;
      case myResp:
        this.handleVoteResponse(m);
        return;
      default:
        return;
    }
  }

  private handleVoteResponse(m: Message): void {
    const result = this.poll(m.from, !m.reject);
    if (result === VoteResult.Won) {
      if (this.state === RaftState.PreCandidate) {
        this.campaign('election');
      } else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (result === VoteResult.Lost) {
      this.becomeFollower(this.term, NO_MEMBER);
    }
  }

  private handleFromLeader(m: Message): void {
    if (m.type === MessageType.MsgApp) this.handleAppendEntries(m);
    else if (m.type === MessageType.MsgHeartbeat) this.handleHeartbeat(m);
    else this.handleSnapshot(m);
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      this.send({ type: MessageType.MsgAppResp, to: m.from, index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send({ type: MessageType.MsgAppResp, to: m.from, index: lastNew });
      return;
    }
    // Tell the leader where our logs may agree, so it skips whole conflicting terms at once.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({
      type: MessageType.MsgAppResp, to: m.from, index: m.index, reject: true,
      rejectHint: hint.index, logTerm: hint.term,
    });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    this.send({ type: MessageType.MsgHeartbeatResp, to: m.from, context: m.context });
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (snap === undefined) return;
    const restored = this.restore(snap);
    const index = restored ? this.log.lastIndex() : this.log.committed;
    this.send({ type: MessageType.MsgAppResp, to: m.from, index });
  }

  /** Replaces our log with the snapshot; false if we already have what it holds. */
  restore(snap: Snapshot): boolean {
    const { index, term, confState } = snap.metadata;
    if (index <= this.log.committed) return false;
    const inConfig = confState.voters.includes(this.id) || confState.learners.includes(this.id);
    if (!inConfig) {
      this.logger.warn('ignoring snapshot whose configuration does not include us', { index });
      return false;
    }
    if (this.log.matchTerm(index, term)) {
      // We hold the snapshot's last entry: just move the commit index forward.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snap);
    this.tracker.reset(confState, this.log.lastIndex() + 1);
    this.isLearner = this.tracker.learners.has(this.id);
    this.logger.info('restored snapshot', { index, term });
    return true;
  }

  // ---- leader --------------------------------------------------------------

  /** Assigns term and indexes and appends; false if the uncommitted budget is exhausted. */
  appendEntries(ents: readonly Entry[]): boolean {
    const li = this.log.lastIndex();
    const stamped = ents.map((e, i): Entry => ({ term: this.term, index: li + 1 + i, type: e.type, data: e.data }));
    const size = payloadSizeBytes(stamped);
    const limit = this.maxUncommittedSizeBytes;
    // An empty budget always admits one proposal, however large, so progress is possible.
    if (limit > 0 && this.uncommittedSizeBytes > 0 && size > 0 && this.uncommittedSizeBytes + size > limit) {
      return false;
    }
    this.uncommittedSizeBytes += size;
    this.log.append(stamped);
    return true;
  }

  reduceUncommittedSize(ents: readonly Entry[]): void {
    this.uncommittedSizeBytes = Math.max(0, this.uncommittedSizeBytes - payloadSizeBytes(ents));
  }

  maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term);
  }

  /** After persisting: our own log now counts toward the quorum up to the stable index. */
  onEntriesStable(): void {
    if (this.state !== RaftState.Leader) return;
    const self = this.tracker.progress.get(this.id);
    if (self === undefined || !self.maybeUpdate(this.lastStableIndex())) return;
    this.commitAndBroadcast();
  }

  private commitAndBroadcast(): void {
    if (!this.maybeCommit()) return;
    this.releasePendingReadIndexMessages();
    this.bcastAppend();
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.MsgBeat:
        this.bcastHeartbeat(this.readOnly.lastPendingContext());
        return;
      case MessageType.MsgCheckQuorum:
        this.checkQuorumActive();
        return;
      case MessageType.MsgProp:
        this.leaderPropose(m);
        return;
      case MessageType.MsgReadIndex:
        this.leaderReadIndex(m);
        return;
      default:
        this.stepLeaderFromFollower(m);
    }
  }

  private checkQuorumActive(): void {
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) self.recentActive = true;
    if (!this.tracker.quorumActive()) {
      this.logger.warn('stepping down: no quorum heard from in an election timeout', { term: this.term });
      this.becomeFollower(this.term, NO_MEMBER);
    }
    for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
  }

  private leaderPropose(m: Message): void {
    assert(m.entries.length > 0, 'empty proposal');
    if (!this.tracker.progress.has(this.id)) {
      throw new ProposalDroppedError('leader was removed from the configuration');
    }
    if (this.leadTransferee !== NO_MEMBER) throw new ProposalDroppedError('leadership transfer in progress');
    const li = this.log.lastIndex();
    const ents = m.entries.map((e, i): Entry => {
      if (e.type !== EntryType.ConfChange) return e;
      if (this.pendingConfIndex > this.log.applied) {
        // One membership change at a time: a second one becomes a no-op entry.
        this.logger.warn('ignoring conf change while another is pending', { pending: this.pendingConfIndex });
        return { ...e, type: EntryType.Normal, data: new Uint8Array(0) };
      }
      this.pendingConfIndex = li + i + 1;
      return e;
    });
    if (!this.appendEntries(ents)) throw new ProposalDroppedError('too many uncommitted entry bytes');
    this.bcastAppend();
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  private leaderReadIndex(m: Message): void {
    if (this.tracker.isSingleton()) {
      this.respondToReadIndex(m, this.log.committed);
      return;
    }
    // Until an entry of our term commits, our commit index may be behind the previous leader's.
    if (!this.committedEntryInCurrentTerm()) {
      if (this.pendingReadIndexMessages.length < MAX_PENDING_READ_INDEX_MESSAGES) this.pendingReadIndexMessages.push(m);
      return;
    }
    this.serveReadIndex(m);
  }

  private serveReadIndex(m: Message): void {
    if (this.readOnly.option === 'lease-based') {
      this.respondToReadIndex(m, this.log.committed);
      return;
    }
    const context = m.entries[0]?.data ?? new Uint8Array(0);
    if (!this.readOnly.addRequest(this.log.committed, m, context)) return;
    this.readOnly.recvAck(this.id, context);
    this.bcastHeartbeat(context);
  }

  private releasePendingReadIndexMessages(): void {
    if (!this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of pending) this.serveReadIndex(m);
  }

  private respondToReadIndex(req: Message, index: number): void {
    if (req.from === NO_MEMBER || req.from === this.id) {
      this.readStates.push({ index, context: req.entries[0]?.data ?? new Uint8Array(0) });
      return;
    }
    this.send({ type: MessageType.MsgReadIndexResp, to: req.from, index, entries: req.entries });
  }

  private stepLeaderFromFollower(m: Message): void {
    const pr = this.tracker.progress.get(m.from);
    if (pr === undefined) return;
    switch (m.type) {
      case MessageType.MsgAppResp:
        pr.recentActive = true;
        if (m.reject) this.handleAppendRejection(m);
        else this.handleAppendAck(m);
        return;
      case MessageType.MsgHeartbeatResp:
        this.handleHeartbeatResponse(m);
        return;
      case MessageType.MsgSnapStatus:
        if (pr.state !== ProgressState.Snapshot) return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for a heartbeat response before probing again.
        pr.probeSent = true;
        return;
      case MessageType.MsgUnreachable:
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        return;
      case MessageType.MsgTransferLeader:
        this.handleTransferLeader(m.from);
        return;
      default:
        return;
    }
  }

  private handleAppendRejection(m: Message): void {
    const pr = this.tracker.progress.get(m.from);
    assert(pr !== undefined, 'rejection from untracked member');
    const hint = m.logTerm > 0 ? this.log.findConflictByTerm(m.rejectHint, m.logTerm).index : m.rejectHint;
    if (!pr.maybeDecrTo(m.index, hint)) return;
    if (pr.state === ProgressState.Replicate) pr.becomeProbe();
    this.maybeSendAppend(m.from, true);
  }

  private handleAppendAck(m: Message): void {
    const pr = this.tracker.progress.get(m.from);
    assert(pr !== undefined, 'ack from untracked member');
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === ProgressState.Probe) {
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (wasPaused) {
      this.maybeSendAppend(m.from, true);
    }
    // Fill the window; bounded because every send either fills the inflights or empties the log tail.
    for (let i = 0; i < pr.inflights.capacityMsgs; i++) {
      if (!this.maybeSendAppend(m.from, false)) break;
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: MessageType.MsgTimeoutNow, to: m.from });
    }
  }

  private handleHeartbeatResponse(m: Message): void {
    const pr = this.tracker.progress.get(m.from);
    assert(pr !== undefined, 'heartbeat response from untracked member');
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex()) this.maybeSendAppend(m.from, true);
    if (this.readOnly.option !== 'safe' || m.context.length === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined || !this.hasVoterQuorum(acks)) return;
    const released: ReadIndexStatus[] = this.readOnly.advance(m.context);
    for (const rs of released) this.respondToReadIndex(rs.req, rs.index);
  }

  private hasVoterQuorum(acks: ReadonlySet<MemberId>): boolean {
    let n = 0;
    for (const id of acks) if (this.tracker.voters.has(id)) n++;
    return n >= quorumSize(this.tracker.voters.size);
  }

  private handleTransferLeader(transferee: MemberId): void {
    const pr = this.tracker.progress.get(transferee);
    if (pr === undefined || pr.isLearner) return;
    if (this.leadTransferee === transferee) return;
    if (transferee === this.id) {
      this.leadTransferee = NO_MEMBER;
      return;
    }
    this.leadTransferee = transferee;
    // The transfer must finish within an election timeout or it is abandoned.
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.send({ type: MessageType.MsgTimeoutNow, to: transferee });
    else this.maybeSendAppend(transferee, true);
  }

  // ---- membership ----------------------------------------------------------

  applyConfChange(cc: ConfChange): ConfState {
    const next = this.log.lastIndex() + 1;
    switch (cc.type) {
      case ConfChangeType.AddNode:
        this.tracker.addVoter(cc.memberId, next);
        break;
      case ConfChangeType.AddLearnerNode:
        this.tracker.addLearner(cc.memberId, next);
        break;
      case ConfChangeType.RemoveNode:
        this.tracker.remove(cc.memberId);
        break;
      case ConfChangeType.UpdateNode:
        break;
    }
    this.isLearner = this.tracker.learners.has(this.id);
    if (this.state === RaftState.Leader) this.afterLeaderConfChange();
    return this.tracker.confState();
  }

  private afterLeaderConfChange(): void {
    if (!this.tracker.voters.has(this.id)) {
      // Removed or demoted: a leader outside the voters would hold the cluster with no way to
      // make progress on its own behalf, so it steps down and lets the voters elect one of them.
      this.logger.info('stepping down: no longer a voter', { term: this.term });
      this.becomeFollower(this.term, NO_MEMBER);
      return;
    }
    if (this.leadTransferee !== NO_MEMBER && !this.tracker.progress.has(this.leadTransferee)) {
      this.leadTransferee = NO_MEMBER;
    }
    // A smaller quorum may commit at once; a new member needs its first append.
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else {
      for (const id of this.tracker.progress.keys()) if (id !== this.id) this.maybeSendAppend(id, false);
    }
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
