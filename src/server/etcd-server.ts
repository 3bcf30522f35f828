// The server: one member's state machine behind one write path. Every mutation is
// proposed to raft, persisted in the WAL, applied in log order by the apply loop,
// and only then answered. Reads are served from the local store, linearizable ones
// after a ReadIndex round.
import { applyRange, applyReadOnlyTxn, isTxnReadOnly } from '../apply/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchingBackend, type BackendCommitStats } from '../backend/batching-backend.js';
import { LmdbBackend } from '../backend/lmdb-backend.js';
import { EtcdError, isEtcdError } from '../errors/etcd-error.js';
import { assert } from '../util/assert.js';
import {
  AlarmRequest_AlarmAction,
  AlarmType,
  type AlarmRequest,
  type AlarmResponse,
  type CompactionRequest,
  type CompactionResponse,
  type DefragmentResponse,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type HashKVRequest,
  type HashKVResponse,
  type HashResponse,
  type LeaseCheckpointRequest,
  type LeaseCheckpointResponse,
  type LeaseGrantRequest,
  type LeaseGrantResponse,
  type LeaseRevokeRequest,
  type LeaseRevokeResponse,
  type Member,
  type MemberAddRequest,
  type MemberAddResponse,
  type MemberListRequest,
  type MemberListResponse,
  type MemberPromoteRequest,
  type MemberPromoteResponse,
  type MemberRemoveRequest,
  type MemberRemoveResponse,
  type MemberUpdateRequest,
  type MemberUpdateResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type ResponseHeader,
  type SnapshotResponse,
  type StatusResponse,
  type TxnRequest,
  type TxnResponse,
} from '../generated/etcdserverpb/rpc.js';
import { ConfChangeContext, LogRequest } from '../generated/internalpb/internal.js';
import { WRAPPED_DECODE_DEPTH_MAX, deepProtoReader } from '../util/deep-proto-reader.js';
import { authorizingApplier } from '../auth/auth-applier.js';
import { AuthStore } from '../auth/auth-store.js';
import type { Caller } from '../auth/caller.js';
import { BCRYPT_COST_DEFAULT } from '../auth/passwords.js';
import { leaseKeysOf } from '../auth/lease-keys.js';
import { tokenProviderFor, AUTH_TOKEN_DEFAULT } from '../auth/token-options.js';
import type { TokenProvider } from '../auth/token-provider.js';
import { MONOTONIC_CLOCK } from '../lease/lease-clock.js';
import { LeaseExpiryLoop } from '../lease/lease-expiry-loop.js';
import { minLeaseTtlSeconds } from '../lease/lease-limits.js';
import { Lessor } from '../lease/lessor.js';
import type { WriteResult } from '../mvcc/kv-view.js';
import type { MvccStore } from '../mvcc/mvcc-store.js';
import { ProposalDroppedError } from '../raft/errors.js';
import { ConfChangeType, EntryType, type Entry, type Snapshot } from '../raft/types.js';
import { etcdSnapshotChunks } from '../snapshot/etcd-format/etcd-snapshot-chunks.js';
import { ETCD_COMPAT_VERSION } from '../version.js';
import type { WalStats } from '../wal/wal-stats.js';
import { AlarmStore, formatAlarm } from './alarm-store.js';
import { AppliedIndex } from './applied-index.js';
import { AutoCompactor, type CompactionTarget } from './auto-compactor.js';
import { backendAlarmPersistence } from './backend-alarms.js';
import { backendHash } from './backend-hash.js';
import { buildMemberSnapshot, installMemberSnapshot } from './install-snapshot.js';
import { readPutLogRequest } from './put-log-request-reader.js';
import { writeSnapshotMarker } from './snapshot-marker.js';
import { prevKvWatched, restoreWatchers } from '../watch/watch-hub-registry.js';
import { openMemberStorage, type MemberStorage } from './member-storage.js';
import type { PeerStats } from '../transport/peer-link.js';
import { PeerNetwork } from './peer-network.js';
import { applyLogRequest, type ApplyContext, type CompactionOutcome } from './entry-applier.js';
import { forwardMemberPromote } from './forward-to-leader.js';
import { LinearizableReads } from './linearizable-reads.js';
import { CorruptionMonitor } from './corruption-monitor.js';
import { corruptionTarget, initialCorruptCheck } from './corruption-check.js';
import { answerPeerHashKv } from './corruption-peer-hash.js';
import { moveLeader } from './move-leader.js';
import { LeaderWait } from './leader-wait.js';
import { ProposalTerms } from './proposal-terms.js';
import { encodeLogRequest } from './log-request-bytes.js';
import { computeMemberId } from './member-id.js';
import {
  applyMemberChange,
  checkMemberAdd,
  checkMemberPromote,
  checkMemberRemove,
  checkMemberUpdate,
  confChangeTypeFor,
} from './membership-changes.js';
import { BackendQuota, putCostBytes, txnCostBytes } from './quota.js';
import { RaftDriver } from './raft-driver.js';
import { RequestIdGenerator } from './request-id.js';
import { MAX_COMMITTED_NOT_APPLIED_ENTRIES, PROPOSAL_TIMEOUT_MS, resolvedQuotaBytes, type ServerOptions } from './server-options.js';
import { txnIsSerializable } from './txn-shape.js';
import { Waiters, type ApplyOutcome } from './waiters.js';

type LogOp = NonNullable<LogRequest['op']>;

function emptyMember(id: bigint): Member {
  return { ID: id, name: '', peerURLs: [], clientURLs: [], isLearner: false };
}

const CAMPAIGN_ATTEMPTS_MAX = 50;
const PUBLISH_ATTEMPTS_MAX = 20;
const PUBLISH_RETRY_MS = 500;
const CAMPAIGN_RETRY_MS = 5;

/** etcd warns about an entry whose apply takes longer than this. */
const SLOW_APPLY_WARN_MS = 100;
/** Outcomes etcd counts in proposals_failed_total: the proposal never got a result. */
const PROPOSAL_FAILURE_CODES: ReadonlySet<string> = new Set(['Timeout', 'Stopped', 'ProposalDropped']);

export interface ServerMetricsSnapshot {
  readonly hasLeader: boolean;
  readonly leaderChangesSeen: number;
  readonly committedIndex: number;
  readonly appliedIndex: number;
  readonly proposalsPending: number;
  readonly proposalsFailed: number;
  readonly walStats: WalStats | null;
  readonly backendCommitStats: BackendCommitStats | null;
}

const NO_PEERS: ReadonlyMap<bigint, PeerStats> = new Map();

/** Tries at drawing a nonzero lease ID; the generator makes zero practically impossible. */
const LEASE_ID_ATTEMPTS_MAX = 8;

export interface ServerLimits {
  readonly maxTxnOps: number;
  readonly maxRequestBytes: number;
}

export class EtcdServer {
  readonly limits: ServerLimits;
  /** Every lease; changed only by the apply loop, expired only by the leader's timer. */
  readonly lessor: Lessor;
  private readonly leaseExpiry: LeaseExpiryLoop;
  private readonly waiters = new Waiters(PROPOSAL_TIMEOUT_MS);
  private readonly proposalTerms = new ProposalTerms();
  /** Proposals and lease renewals made while no leader is known, waiting for one. */
  private readonly leaderWait = new LeaderWait();
  private readonly corruptionMonitor: CorruptionMonitor | null;
  private readonly applied = new AppliedIndex();
  private readonly reads: LinearizableReads;
  private readonly requestIds: RequestIdGenerator;
  private readonly alarms: AlarmStore;
  private readonly quota: BackendQuota;
  private readonly applyContext: ApplyContext;
  /** Users, roles and permissions (changed only by the apply loop) and how tokens are made. */
  readonly auth: AuthStore;
  readonly tokens: TokenProvider;
  private readonly applyRequest: (request: LogRequest, index: number) => ApplyOutcome;
  private readonly driver: RaftDriver;
  private readonly writeListeners: Array<(result: WriteResult) => void> = [];
  /** Client calls in progress on the API in front of this server (see countClientCallsWith). */
  private clientCalls: () => number = () => 0;
  private readonly membershipListeners: Array<(members: Member[]) => void> = [];
  private readonly removedListeners: Array<() => void> = [];
  private network: PeerNetwork | null = null;
  private leaderKnown: { resolve(): void; promise: Promise<void> };
  private readonly compactor: AutoCompactor | null;
  private stopping = false;
  private leaderChangesSeen = 0;
  private proposalsFailed = 0;
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly options: ServerOptions,
    private readonly storage: MemberStorage,
  ) {
    this.limits = { maxTxnOps: options.maxTxnOps, maxRequestBytes: options.maxRequestBytes };
    this.requestIds = new RequestIdGenerator(storage.identity.memberId, Date.now());
    this.alarms = new AlarmStore(backendAlarmPersistence(storage.backend));
    this.quota = new BackendQuota(resolvedQuotaBytes(options.quotaBackendBytes), () => storage.backend.sizeBytes());
    this.applied.advanceTo(storage.store.consistentIndex().index);
    this.lessor = Lessor.open(storage.backend, storage.store, {
      minTtlSeconds: minLeaseTtlSeconds(options.electionTimeoutMs, options.heartbeatIntervalMs),
      clock: MONOTONIC_CLOCK,
      checkpointIntervalMs: options.leaseCheckpointIntervalMs,
    });
    this.leaseExpiry = new LeaseExpiryLoop(this.lessor, {
      revoke: (id) => this.propose({ $case: 'leaseRevoke', value: { ID: id } }, null, true) as Promise<LeaseRevokeResponse>,
      checkpoint: (request) => this.leaseCheckpoint(request),
    }, options.logger);
    // Only watchers use the previous values in write events; without one asking, writes skip reading them.
    storage.store.prevKvWanted = () => prevKvWatched(this);
    this.applyContext = {
      store: storage.store,
      alarms: this.alarms,
      membership: storage.membership,
      lessor: this.lessor,
      header: (revision) => this.header(revision),
      onWrite: (result) => this.writeListeners.forEach((listener) => listener(result)),
    };
    this.auth = new AuthStore(storage.backend);
    this.tokens = tokenProviderFor(options.authToken ?? AUTH_TOKEN_DEFAULT, options.authTokenTtlSeconds ?? 0);
    this.auth.attachTokens(this.tokens);
    this.applyRequest = authorizingApplier(
      { auth: this.auth, tokens: this.tokens, leaseKeys: leaseKeysOf(this.lessor), header: () => this.header() },
      (request) => applyLogRequest(this.applyContext, request),
    );
    let resolveLeader = (): void => undefined;
    const promise = new Promise<void>((resolve) => (resolveLeader = resolve));
    this.leaderKnown = { resolve: resolveLeader, promise };
    this.driver = new RaftDriver(storage.raftNode, storage.raftStorage, storage.wal, {
      applyEntries: (entries) => this.applyEntries(entries),
      send: (messages) => this.network?.send(messages),
      // One call: the write being persisted is the only thing anyone waits for.
      idleButForWrites: () => this.clientCalls() <= 1,
      sentAll: () => this.network?.sentAll() ?? true,
      onReadState: (index, context) => this.reads.onReadState(index, context),
      onLeaderChange: (leader, term) => this.onLeaderChange(leader, term),
      onFatal: (error) => this.onFatal(error),
      installSnapshot: (snapshot) => this.installSnapshot(snapshot),
    }, options.logger);
    this.compactor =
      options.autoCompaction === null
        ? null
        : new AutoCompactor(options.autoCompaction, this.compactionTarget(), options.logger);
    this.corruptionMonitor = this.newCorruptionMonitor();
    this.reads = new LinearizableReads(
      {
        requestReadIndex: (context) => {
          this.driver.node.readIndex(context);
          this.driver.schedule();
        },
      },
      this.applied,
    );
  }

  static async start(options: ServerOptions): Promise<EtcdServer> {
    const storage = await openMemberStorage(options);
    // As etcd: only a member that already holds data is checked, before it serves anyone.
    if (options.initialCorruptCheck === true && storage.store.consistentIndex().index > 0) {
      try {
        await initialCorruptCheck(corruptionTarget(storage, options.tls?.peer ?? null), options.logger);
      } catch (error) {
        await storage.close();
        throw error;
      }
    }
    const server = new EtcdServer(options, storage);
    try {
      await server.openNetwork();
    } catch (error) {
      await storage.close();
      throw error;
    }
    server.driver.start(options.heartbeatIntervalMs);
    server.compactor?.start();
    server.leaseExpiry.start();
    server.corruptionMonitor?.start();
    if (storage.isSingleVoter) await server.campaignAlone();
    await server.leaderKnown.promise;
    await server.applied.waitFor(storage.raftNode.status().commit);
    return server;
  }

  private async openNetwork(): Promise<void> {
    const node = this.driver.node;
    this.network = await PeerNetwork.open(
      this.memberId,
      this.clusterId,
      this.options.listenPeerUrls,
      {
        onMessage: (message) => {
          if (this.stopping) return;
          node.step(message);
          this.driver.schedule();
        },
        isRemoved: (id) => this.storage.membership.isRemoved(id),
        buildSnapshot: () => buildMemberSnapshot(this.storage.backend, node.confState()),
        onRemovedFromCluster: () => this.announceRemoved(),
        onUnreachable: (peer) => {
          node.reportUnreachable(peer);
          this.driver.schedule();
        },
        hashKv: (requestJson) => answerPeerHashKv(this.storage.store, requestJson),
        onSnapshotStatus: (peer, ok) => {
          node.reportSnapshot(peer, ok);
          this.driver.schedule();
        },
      },
      this.options.logger,
      () => this.storage.membership.list(),
      this.options.tls,
    );
    this.network.syncPeers(this.storage.membership.list());
    this.onMembershipChange((members) => this.network?.syncPeers(members));
  }

  /**
   * A lone voter need not wait an election timeout to lead itself. Raft ignores a
   * campaign until replayed conf changes are applied, so retry briefly.
   */
  private async campaignAlone(): Promise<void> {
    for (let attempt = 0; attempt < CAMPAIGN_ATTEMPTS_MAX && !this.hasLeader(); attempt++) {
      this.driver.node.campaign();
      this.driver.schedule();
      await sleep(CAMPAIGN_RETRY_MS);
    }
  }

  private isLeader(): boolean {
    return this.driver.node.lead === this.memberId;
  }

  private hasLeader(): boolean {
    return this.driver.node.lead !== 0n;
  }

  /** --experimental-watch-progress-notify-interval, read by the watch service. */
  get watchProgressNotifyIntervalMs(): number {
    return this.options.watchProgressNotifyIntervalMs;
  }

  get memberId(): bigint {
    return this.storage.identity.memberId;
  }

  get clusterId(): bigint {
    return this.storage.identity.clusterId;
  }

  /** The member's MVCC store, for readers that need history (watch catch-up, hashes). */
  get store(): MvccStore {
    return this.storage.store;
  }

  /** Numbers for /metrics: cheap to read, never changing state. */
  metricsSnapshot(): ServerMetricsSnapshot {
    const raft = this.driver.node.status();
    return {
      hasLeader: raft.lead !== 0n,
      leaderChangesSeen: this.leaderChangesSeen,
      committedIndex: raft.commit,
      appliedIndex: this.applied.value,
      proposalsPending: this.waiters.size,
      proposalsFailed: this.proposalsFailed,
      walStats: this.storage.wal?.stats ?? null,
      backendCommitStats: this.storage.backend instanceof BatchingBackend ? this.storage.backend.commitStats : null,
    };
  }

  /** Traffic per peer, for etcd's etcd_network_* metrics (empty for a member without peers). */
  peerStats(): ReadonlyMap<bigint, PeerStats> {
    return this.network?.peerStats() ?? NO_PEERS;
  }

  /**
   * How the API in front tells the server how many client calls wait on it; the WAL
   * writes inline (on the event loop thread) while at most one does.
   */
  countClientCallsWith(probe: () => number): void {
    this.clientCalls = probe;
  }

  /** Listens to every applied write (the watch hub subscribes here). Called synchronously in the apply loop: keep it cheap. */
  onWrite(listener: (result: WriteResult) => void): void {
    this.writeListeners.push(listener);
  }

  header(revision: number = this.storage.store.currentRevision): ResponseHeader {
    return {
      clusterId: this.clusterId,
      memberId: this.memberId,
      revision: BigInt(revision),
      raftTerm: BigInt(this.driver.node.term),
    };
  }

  /** etcd's Cluster service answers with cluster, member and term, but no revision. */
  private clusterHeader(): ResponseHeader {
    return { ...this.header(), revision: 0n };
  }

  // ---- KV -------------------------------------------------------------------

  async range(request: RangeRequest): Promise<RangeResponse> {
    if (!request.serializable) await this.linearizableBarrier();
    if (!this.storage.store.readable) await this.storage.store.whenReadable();
    const view = this.storage.store.read();
    const response = applyRange(view, request);
    response.header = this.header(view.revision);
    return response;
  }

  async put(request: PutRequest, caller: Caller | null = null): Promise<PutResponse> {
    this.checkQuota(putCostBytes(request));
    return (await this.propose({ $case: 'put', value: request }, caller)) as PutResponse;
  }

  async deleteRange(request: DeleteRangeRequest, caller: Caller | null = null): Promise<DeleteRangeResponse> {
    return (await this.propose({ $case: 'deleteRange', value: request }, caller)) as DeleteRangeResponse;
  }

  async txn(request: TxnRequest, caller: Caller | null = null): Promise<TxnResponse> {
    if (isTxnReadOnly(request)) {
      if (!txnIsSerializable(request)) await this.linearizableBarrier();
      if (!this.storage.store.readable) await this.storage.store.whenReadable();
      // A read-only txn changes nothing, so it is served from the local store like a range.
      const view = this.storage.store.read();
      const response = applyReadOnlyTxn(view, request);
      response.header = this.header(view.revision);
      return response;
    }
    this.checkQuota(txnCostBytes(request));
    return (await this.propose({ $case: 'txn', value: request }, caller)) as TxnResponse;
  }

  async compact(request: CompactionRequest): Promise<CompactionResponse> {
    const outcome = (await this.propose({ $case: 'compaction', value: request })) as CompactionOutcome;
    if (request.physical) await outcome.physical;
    return outcome.response;
  }

  // ---- Leases ---------------------------------------------------------------

  async leaseGrant(request: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    // As etcd: a lease the client did not name gets a positive int64 ID drawn from the request IDs.
    let id = request.ID;
    for (let attempt = 0; id === 0n && attempt < LEASE_ID_ATTEMPTS_MAX; attempt++) id = BigInt.asUintN(63, this.requestIds.next());
    return (await this.propose({ $case: 'leaseGrant', value: { TTL: request.TTL, ID: id } })) as LeaseGrantResponse;
  }

  async leaseRevoke(request: LeaseRevokeRequest, caller: Caller | null = null): Promise<LeaseRevokeResponse> {
    return (await this.propose({ $case: 'leaseRevoke', value: request }, caller)) as LeaseRevokeResponse;
  }

  // ---- Auth -----------------------------------------------------------------

  /** An auth change or login through the log, as `caller` (the apply loop checks it is root). */
  async proposeAuth(op: LogOp, caller: Caller | null): Promise<unknown> {
    return this.propose(op, caller);
  }

  /** --bcrypt-cost, for hashing passwords before they are proposed. */
  get bcryptCost(): number {
    return this.options.bcryptCost ?? BCRYPT_COST_DEFAULT;
  }

  /** Waits until this member has applied everything committed when the call began (auth reads). */
  async readBarrier(): Promise<void> {
    await this.linearizableBarrier();
  }

  async leaseCheckpoint(request: LeaseCheckpointRequest): Promise<LeaseCheckpointResponse> {
    return (await this.propose({ $case: 'leaseCheckpoint', value: request })) as LeaseCheckpointResponse;
  }

  /**
   * Renewals and TTL reads run on the leader after every committed entry is applied, as
   * etcd's waitAppliedIndex. With no leader known they wait for one, up to the request
   * timeout, as etcd's renewals do before they answer "no leader".
   */
  async leaseLeaderBarrier(): Promise<void> {
    if (this.stopping) throw new EtcdError('Stopped');
    const node = this.driver.node;
    if (node.lead === 0n && !(await this.leaderWait.within(PROPOSAL_TIMEOUT_MS))) throw new EtcdError('NoLeader');
    if (this.stopping) throw new EtcdError('Stopped');
    if (node.lead !== this.memberId) throw new EtcdError(node.lead === 0n ? 'NoLeader' : 'NotLeader');
    await this.applied.waitFor(node.commitIndex);
  }

  // ---- Cluster and maintenance ----------------------------------------------

  async memberList(request: MemberListRequest): Promise<MemberListResponse> {
    if (request.linearizable) await this.linearizableBarrier();
    return { header: this.clusterHeader(), members: this.storage.membership.list() };
  }

  async memberAdd(request: MemberAddRequest): Promise<MemberAddResponse> {
    const member: Member = {
      ID: computeMemberId(request.peerURLs, this.options.initialClusterToken, Math.floor(Date.now() / 1000)),
      name: '',
      peerURLs: [...request.peerURLs],
      clientURLs: [],
      isLearner: request.isLearner,
    };
    checkMemberAdd(this.storage.membership, member, this.options.strictReconfigCheck);
    const members = await this.proposeMemberChange('add', member);
    return { header: this.clusterHeader(), member, members };
  }

  async memberRemove(request: MemberRemoveRequest): Promise<MemberRemoveResponse> {
    checkMemberRemove(this.storage.membership, request.ID, this.options.strictReconfigCheck);
    const member = this.storage.membership.get(request.ID);
    const members = await this.proposeMemberChange('remove', member ?? emptyMember(request.ID));
    return { header: this.clusterHeader(), members };
  }

  async memberUpdate(request: MemberUpdateRequest): Promise<MemberUpdateResponse> {
    checkMemberUpdate(this.storage.membership, request.ID, request.peerURLs);
    const member = { ...emptyMember(request.ID), peerURLs: [...request.peerURLs] };
    const members = await this.proposeMemberChange('update', member);
    return { header: this.clusterHeader(), members };
  }

  async memberPromote(request: MemberPromoteRequest): Promise<MemberPromoteResponse> {
    const raft = this.driver.node.status();
    if (raft.lead === 0n) throw new EtcdError('NoLeader');
    if (raft.lead !== this.memberId) {
      const leaderUrl = this.storage.membership.get(raft.lead)?.clientURLs[0];
      if (leaderUrl === undefined) throw new EtcdError('NotLeader');
      return forwardMemberPromote(leaderUrl, request);
    }
    const learnerMatch = raft.progress?.get(request.ID)?.match ?? null;
    checkMemberPromote(this.storage.membership, request.ID, learnerMatch, raft.commit);
    const member = this.storage.membership.get(request.ID) ?? emptyMember(request.ID);
    const members = await this.proposeMemberChange('promote', { ...member, isLearner: false });
    return { header: this.clusterHeader(), members };
  }

  async status(): Promise<StatusResponse> {
    const raft = this.driver.node.status();
    const errors = this.alarms.list().map(formatAlarm);
    if (raft.lead === 0n) errors.unshift('etcdserver: no leader');
    return {
      header: this.header(),
      version: ETCD_COMPAT_VERSION,
      dbSize: BigInt(this.storage.backend.sizeBytes()),
      leader: raft.lead,
      raftIndex: BigInt(raft.commit),
      raftTerm: BigInt(raft.term),
      raftAppliedIndex: BigInt(this.applied.value),
      errors,
      dbSizeInUse: BigInt(this.storage.backend.sizeInUseBytes()),
      isLearner: false,
    };
  }

  /** Maintenance.MoveLeader: asked of the leader, hands leadership to `transferee` and waits until it leads. */
  async moveLeader(transferee: bigint, deadlineEpochMs: number): Promise<void> {
    const membership = this.storage.membership;
    await moveLeader({
      memberId: this.memberId,
      currentLeader: () => this.driver.node.lead,
      isVotingMember: (id) => membership.get(id)?.isLearner === false,
      transferLeadership: (_leader, to) => {
        this.driver.node.transferLeadership(to);
        this.driver.schedule();
      },
      isStopping: () => this.stopping,
    }, transferee, { pollIntervalMs: this.options.heartbeatIntervalMs, deadlineEpochMs }, this.options.logger);
  }

  async alarm(request: AlarmRequest): Promise<AlarmResponse> {
    if (request.action === AlarmRequest_AlarmAction.GET) {
      return { header: this.header(), alarms: this.alarms.list(request.alarm) };
    }
    return (await this.propose({ $case: 'alarm', value: request })) as AlarmResponse;
  }

  async hashKV(request: HashKVRequest): Promise<HashKVResponse> {
    const result = await this.storage.store.hashKV(Number(request.revision));
    return {
      header: this.header(),
      hash: result.hash,
      compactRevision: BigInt(result.compactRevision),
      hashRevision: BigInt(result.hashRevision),
    };
  }

  async hash(): Promise<HashResponse> {
    await this.storage.store.whenReadable();
    const header = this.header();
    return { header, hash: await backendHash(this.storage.backend) };
  }

  /** A consistent copy of the backend, in chunks, ending with its sha256. */
  async *snapshot(): AsyncGenerator<SnapshotResponse> {
    if (this.stopping) throw new EtcdError('Stopped');
    await this.storage.store.whenReadable();
    // etcd's own format (a bbolt file with etcd's buckets), so etcd can restore it too.
    for await (const chunk of etcdSnapshotChunks(this.storage.backend)) {
      yield { header: this.header(), remainingBytes: BigInt(chunk.remainingBytes), blob: chunk.blob };
    }
  }

  /** Reclaims free space: a compacting copy is swapped in while reads go on and writes wait in the batch. */
  async defragment(): Promise<DefragmentResponse> {
    await this.storage.store.whenReadable();
    const backend = this.storage.backend;
    if (backend instanceof LmdbBackend) {
      const before = backend.sizeBytes();
      this.options.logger.info('defragmenting', { 'current-db-size-bytes': before });
      const startedMs = Date.now();
      await backend.defragment();
      this.options.logger.info('finished defragmenting directory', {
        'current-db-size-bytes-diff': backend.sizeBytes() - before,
        'current-db-size-bytes': backend.sizeBytes(),
        took: `${Date.now() - startedMs}ms`,
      });
    } else {
      await backend.commit();
    }
    return { header: this.header() };
  }

  // ---- Lifecycle --------------------------------------------------------------

  /** Graceful stop: refuse new work, release every waiter, flush and close storage. */
  close(): Promise<void> {
    if (this.closed === null) this.closed = this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.stopping = true;
    this.compactor?.stop();
    await this.corruptionMonitor?.stop();
    await this.leaseExpiry.stop();
    this.lessor.close();
    this.tokens.close();
    await this.driver.stop();
    const stopped = new EtcdError('Stopped');
    this.waiters.failAll(stopped);
    this.reads.failAll(stopped);
    this.applied.failAll(stopped);
    await this.network?.close();
    await this.storage.close();
  }

  // ---- The write path ---------------------------------------------------------

  private async propose(op: LogOp, caller: Caller | null = null, fromServer = false): Promise<unknown> {
    if (this.stopping) throw new EtcdError('Stopped');
    const node = this.driver.node;
    if (node.commitIndex - this.applied.value > MAX_COMMITTED_NOT_APPLIED_ENTRIES) throw new EtcdError('TooManyRequests');
    const id = this.requestIds.next();
    const meta = { id, username: caller?.username ?? '', authRevision: BigInt(caller?.revision ?? 0), fromServer };
    const data = encodeLogRequest(op, meta);
    if (data.length > this.options.maxRequestBytes) throw new EtcdError('RequestTooLarge');
    return this.submitAndWait(id, () => node.propose(data));
  }

  /**
   * The one write path: register the waiter, wait for a leader if there is none, hand
   * the proposal to raft, and wait for the apply loop's outcome (or the timeout, or the
   * stop); the waiter is always released.
   */
  private async submitAndWait(id: bigint, submit: () => void): Promise<unknown> {
    const result = this.waiters.register(id);
    // The waiter's own timeout (or the stop) ends the wait for a leader.
    if (this.driver.node.lead === 0n && !(await this.leaderWait.before(result))) {
      const outcome = await result;
      assert(!outcome.ok, 'a proposal never handed to raft was applied');
      this.proposalsFailed++;
      // etcd's proposal ends with its context when no leader came: the bare context error.
      const timedOut = isEtcdError(outcome.error) && outcome.error.code === 'Timeout';
      throw timedOut ? new EtcdError('ContextDeadline') : outcome.error;
    }
    this.proposalTerms.track(id, this.driver.node.term);
    try {
      submit();
    } catch (error) {
      if (!(error instanceof ProposalDroppedError)) {
        this.proposalTerms.forget(id);
        throw error;
      }
      this.waiters.trigger(id, { ok: false, error: new EtcdError('ProposalDropped') });
    }
    this.driver.schedule();
    const outcome = await result;
    this.proposalTerms.forget(id);
    if (!outcome.ok && isEtcdError(outcome.error) && PROPOSAL_FAILURE_CODES.has(outcome.error.code)) this.proposalsFailed++;
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  private async proposeMemberChange(kind: 'add' | 'remove' | 'update' | 'promote', member: Member): Promise<Member[]> {
    if (this.stopping) throw new EtcdError('Stopped');
    const id = this.requestIds.next();
    const context = ConfChangeContext.encode({ requestId: id, member }).finish();
    const type = confChangeTypeFor(kind, member.isLearner);
    return (await this.submitAndWait(id, () => this.driver.node.proposeConfChange({ type, memberId: member.ID, context }))) as Member[];
  }

  private applyConfChangeEntry(entry: Entry): void {
    // Membership lives in raft's memory, so conf changes are re-applied to raft
    // after a restart even when the backend already holds their effects.
    const change = this.storage.applyConfChange(entry);
    if (entry.index <= this.applied.value) return;
    const context = change.context.length > 0 ? ConfChangeContext.decode(change.context) : undefined;
    applyMemberChange(this.storage.membership, change, context?.member);
    this.membershipListeners.forEach((listener) => listener(this.storage.membership.list()));
    this.options.logger.info('applied a configuration change', { type: ConfChangeType[change.type], member: change.memberId.toString(16) });
    if (context !== undefined) this.waiters.trigger(context.requestId, { ok: true, value: this.storage.membership.list() });
    if (change.type === ConfChangeType.RemoveNode && change.memberId === this.memberId) this.announceRemoved();
  }

  private removedAnnounced = false;

  /** This member learned (from its log or from a peer's 410) that it was removed: its owner stops it. */
  private announceRemoved(): void {
    if (this.removedAnnounced) return;
    this.removedAnnounced = true;
    this.options.logger.warn('the member has been permanently removed from the cluster', { 'local-member-id': this.memberId.toString(16) });
    setImmediate(() => this.removedListeners.forEach((listener) => listener()));
  }

  /**
   * A snapshot from the leader: the backend's contents are replaced, then everything
   * built from them is reloaded in place (store, members, alarms, leases, watchers).
   */
  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    if (snapshot.data.length === 0) return;
    const previousRevision = this.storage.store.currentRevision;
    this.options.logger.info('applying snapshot from the leader', { index: snapshot.metadata.index, bytes: snapshot.data.length });
    const store = this.storage.store;
    // From here until the reload, reads wait: the records under the index come and go.
    await store.beginReplace();
    try {
      await installMemberSnapshot(this.storage.backend, snapshot.data);
      writeSnapshotMarker(this.storage.backend, snapshot.metadata);
      await this.storage.backend.commit();
      await this.storage.wal?.saveSnapshot({ index: snapshot.metadata.index, term: snapshot.metadata.term });
    } catch (error) {
      store.abandonReplace(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    store.reloadFromBackend();
    this.storage.membership.reload();
    this.alarms.reload();
    this.auth.reload();
    this.lessor.recover(this.storage.store, this.options.electionTimeoutMs);
    restoreWatchers(this, previousRevision);
    this.network?.syncPeers(this.storage.membership.list());
    this.applied.advanceTo(snapshot.metadata.index);
    this.options.logger.info('applied snapshot from the leader', { index: snapshot.metadata.index, revision: this.storage.store.currentRevision });
  }

  /** Publishes this member's name and client URLs through the log, as etcd does once it serves. */
  async publishAttributes(): Promise<void> {
    const own = this.storage.membership.get(this.memberId);
    const clientUrls = [...this.options.advertiseClientUrls];
    if (own !== undefined && own.name === this.options.name && own.clientURLs.join(',') === clientUrls.join(',')) return;
    await this.propose({ $case: 'memberAttributes', value: { memberId: this.memberId, name: this.options.name, clientUrls } });
    this.options.logger.info('published local member to cluster through raft', { 'local-member-id': this.memberId.toString(16), name: this.options.name });
  }

  /** Publishes, retrying while there is no leader yet; gives up (with a warning) after a bound. */
  async publishAttributesWithRetry(): Promise<void> {
    for (let attempt = 1; attempt <= PUBLISH_ATTEMPTS_MAX; attempt++) {
      try {
        await this.publishAttributes();
        return;
      } catch (error) {
        if (this.stopping) return;
        this.options.logger.warn('failed to publish local member to cluster through raft', { attempt, error: String(error) });
        await sleep(PUBLISH_RETRY_MS);
      }
    }
  }

  /** Called with the new member list after every applied membership change (the transport follows it). */
  onMembershipChange(listener: (members: Member[]) => void): void {
    this.membershipListeners.push(listener);
  }

  /** Called once this member applied its own removal: it must stop. */
  onRemoved(listener: () => void): void {
    this.removedListeners.push(listener);
  }

  private applyEntries(entries: readonly Entry[]): void {
    const store = this.storage.store;
    for (const entry of entries) {
      if (entry.type === EntryType.ConfChange) this.applyConfChangeEntry(entry);
      if (entry.index <= this.applied.value) continue;
      // A new leader's first entry: once it is applied, every lease of earlier terms is known here,
      // and every entry of earlier terms that will ever commit has been applied.
      if (entry.type === EntryType.Normal && entry.data.length === 0) this.onFirstEntryOfTerm(entry.term);
      if (entry.type === EntryType.Normal && entry.data.length > 0) {
        // Puts, the most frequent, are read without copies; a txn may nest deeper than the
        // generated decoders allow by default (etcd takes ~130 levels).
        const request = readPutLogRequest(entry.data) ?? LogRequest.decode(deepProtoReader(entry.data, WRAPPED_DECODE_DEPTH_MAX));
        const startedMs = performance.now();
        const outcome = this.applyRequest(request, entry.index);
        const tookMs = performance.now() - startedMs;
        if (tookMs > SLOW_APPLY_WARN_MS) {
          this.options.logger.warn('apply request took too long', { took: `${tookMs.toFixed(3)}ms`, 'expected-duration': `${SLOW_APPLY_WARN_MS}ms`, request: request.op?.$case });
        }
        this.waiters.trigger(request.id, outcome);
      }
      store.setConsistentIndex(entry.index, entry.term);
      this.applied.advanceTo(entry.index);
      this.storage.maybeSnapshot(entry.index);
    }
  }

  /** --experimental-corrupt-check-time: the leader's periodic hash comparison, raising CORRUPT on a mismatch. */
  private newCorruptionMonitor(): CorruptionMonitor | null {
    const intervalMs = this.options.corruptCheckIntervalMs ?? null;
    if (intervalMs === null) return null;
    const corrupt: AlarmRequest = { action: AlarmRequest_AlarmAction.ACTIVATE, memberID: 0n, alarm: AlarmType.CORRUPT };
    return new CorruptionMonitor({
      ...corruptionTarget(this.storage, this.options.tls?.peer ?? null),
      isLeader: () => this.isLeader(),
      linearizableBarrier: () => this.linearizableBarrier(),
      raiseCorruptAlarm: async () => {
        await this.propose({ $case: 'alarm', value: corrupt });
      },
    }, intervalMs, this.options.logger);
  }

  private onFirstEntryOfTerm(term: number): void {
    if (this.isLeader()) this.lessor.promote(this.options.electionTimeoutMs);
    const leaderChanged = new EtcdError('LeaderChanged');
    for (const id of this.proposalTerms.takeLostBefore(term)) this.waiters.trigger(id, { ok: false, error: leaderChanged });
    // As etcd on its first commit in a term: reads waiting on the old leader ask the new one now.
    this.reads.retryNow();
  }

  private async linearizableBarrier(): Promise<void> {
    if (this.stopping) throw new EtcdError('Stopped');
    await this.reads.wait();
  }

  private checkQuota(costBytes: number): void {
    if (this.quota.available(costBytes)) return;
    if (!this.alarms.has(AlarmType.NOSPACE)) {
      this.options.logger.warn('alarm raised', { alarm: 'NOSPACE', 'quota-size-bytes': this.quota.bytes });
      const activate: AlarmRequest = { action: AlarmRequest_AlarmAction.ACTIVATE, memberID: this.memberId, alarm: AlarmType.NOSPACE };
      this.propose({ $case: 'alarm', value: activate }).catch(() => undefined);
    }
    throw new EtcdError('NoSpace');
  }

  private compactionTarget(): CompactionTarget {
    return {
      currentRevision: () => this.storage.store.currentRevision,
      isLeader: () => this.isLeader(),
      compact: async (revision) => {
        await this.compact({ revision: BigInt(revision), physical: false });
      },
    };
  }

  private onLeaderChange(leader: bigint, term: number): void {
    const fields = { leader: leader.toString(16), term };
    if (leader !== this.memberId && this.lessor.isPrimary) this.lessor.demote();
    this.leaderWait.onLeaderChange(leader);
    if (leader === 0n) this.options.logger.warn('raft lost leader', fields);
    else {
      this.leaderChangesSeen++;
      this.options.logger.info('raft elected leader', fields);
      this.leaderKnown.resolve();
    }
  }

  private onFatal(error: Error): void {
    this.options.logger.error('fatal storage error; stopping to protect acknowledged data', { error: error.message });
    this.stopping = true;
    const stopped = new EtcdError('Stopped');
    this.waiters.failAll(stopped);
    this.reads.failAll(stopped);
  }
}
