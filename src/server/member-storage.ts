// Opens (or creates) one member's durable state: the backend and MVCC store, the
// WAL, and the raft log rebuilt from them. On restart the raft log starts at the
// last snapshot marker recorded in the backend, and the WAL replays what follows.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import type { Backend } from '../backend/backend.js';
import { LmdbBackend } from '../backend/lmdb-backend.js';
import { MemoryBackend } from '../backend/memory-backend.js';
import { MvccStore } from '../mvcc/mvcc-store.js';
import { decodeConfChange } from '../raft/message-codec.js';
import { RaftNode } from '../raft/raft-node.js';
import { MemoryStorage } from '../raft/storage.js';
import type { ConfChange, ConfState, Entry, SnapshotMetadata } from '../raft/types.js';
import { Wal } from '../wal/wal.js';
import { verifyBootstrapCluster } from '../config/verify-bootstrap-cluster.js';
import { checkBackendFile } from './backend-file-check.js';
import { fetchRemoteCluster } from './join-cluster.js';
import { snapshotInstallInterrupted } from './install-snapshot.js';
import { clusterIdentity, type ClusterIdentity } from './cluster-members.js';
import { Membership } from './membership.js';
import type { ServerOptions } from './server-options.js';
import { decodeWalMetadata, encodeWalMetadata, walHasData } from './wal-metadata.js';
import { readSnapshotMarker, writeSnapshotMarker } from './snapshot-marker.js';

/** Entries kept in the raft log behind a snapshot, so a slightly slow follower catches up without one. */
export const SNAPSHOT_CATCH_UP_ENTRIES = 5000;
/** etcd's default: a follower may have this many append messages in flight. */
const MAX_INFLIGHT_MSGS = 512;
/** Largest append message, as etcd (1 MiB). */
const MAX_SIZE_PER_MSG_BYTES = 1024 * 1024;

/** The flags describe a cluster this member cannot bootstrap into. */
export class BootstrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BootstrapError';
  }
}

export interface MemberStorage {
  readonly identity: ClusterIdentity;
  readonly backend: Backend;
  readonly store: MvccStore;
  readonly membership: Membership;
  readonly wal: Wal | null;
  readonly raftStorage: MemoryStorage;
  readonly raftNode: RaftNode;
  readonly isSingleVoter: boolean;
  /** Applies a committed conf change to raft; returns the change for the caller to apply to membership. */
  applyConfChange(entry: Entry): ConfChange;
  /** Called after each applied entry; takes a raft snapshot every --snapshot-count entries. */
  maybeSnapshot(appliedIndex: number): void;
  close(): Promise<void>;
}

export async function openMemberStorage(options: ServerOptions): Promise<MemberStorage> {
  const configured = clusterIdentity(options);
  const backend = await openBackend(options);
  if (snapshotInstallInterrupted(backend)) {
    await backend.close();
    throw new BootstrapError('a snapshot from the leader was being installed when this member stopped; its data dir is incomplete: remove it, then remove and add the member again');
  }
  const store = MvccStore.open(backend, { compactionBatchLimit: options.compactionBatchLimit });
  // The index rebuild read every record; what it mapped need not stay resident.
  if (backend instanceof LmdbBackend) await backend.releaseMappedPages();
  const marker = readSnapshotMarker(backend);
  let identity = configured;
  let wal: Wal | null = null;
  let hardState = null;
  let entries: Entry[] = [];
  if (options.dataDir !== null) {
    const walDir = options.walDir ?? join(options.dataDir, 'member', 'wal');
    if (await walHasData(walDir)) {
      const walOptions = { maxWals: options.maxWals };
      const opened = await Wal.open(walDir, marker === null ? walOptions : { ...walOptions, snapshot: { index: marker.index, term: marker.term } });
      const metadata = decodeWalMetadata(opened.metadata);
      identity = { ...configured, memberId: metadata.memberId, clusterId: metadata.clusterId };
      ({ wal, hardState, entries } = opened);
    } else {
      const problem = verifyBootstrapCluster(options);
      if (problem !== undefined) throw new BootstrapError(problem);
      if (options.initialClusterState === 'existing') identity = await joinExistingCluster(options, configured);
      await mkdir(walDir, { recursive: true });
      wal = await Wal.create(walDir, encodeWalMetadata(identity.memberId, identity.clusterId), { maxWals: options.maxWals });
    }
  }
  const membership = new Membership(backend);
  // A member's first start writes the cluster it was told about; afterwards the log owns membership.
  if (membership.isEmpty) for (const member of identity.members) membership.save(member);
  const voters = membership.voters();
  const raftStorage = new MemoryStorage({ voters, learners: membership.learners() });
  if (marker !== null) raftStorage.applySnapshot({ metadata: marker, data: new Uint8Array(0) });
  if (hardState !== null) raftStorage.setHardState(hardState);
  if (entries.length > 0) raftStorage.append(entries);
  const raftNode = new RaftNode({
    id: identity.memberId,
    electionTicks: Math.max(2, Math.round(options.electionTimeoutMs / options.heartbeatIntervalMs)),
    heartbeatTicks: 1,
    storage: raftStorage,
    random: () => randomInt(0, 2 ** 32) / 2 ** 32,
    maxSizePerMsgBytes: MAX_SIZE_PER_MSG_BYTES,
    maxInflightMsgs: MAX_INFLIGHT_MSGS,
    preVote: true,
    checkQuorum: true,
    readOnlyOption: 'safe',
    maxUncommittedEntriesBytes: 0,
    // No `applied`: raft must hand back every entry after the snapshot so that conf
    // changes are re-applied to its membership; the apply loop skips the rest.
  });
  const isSingleVoter = voters.length === 1 && voters[0] === identity.memberId;
  return new OpenedMemberStorage(identity, backend, store, membership, wal, raftStorage, raftNode, isSingleVoter, options, marker);
}

/** Learns the cluster and this member's id from the running members. */
async function joinExistingCluster(options: ServerOptions, configured: ClusterIdentity): Promise<ClusterIdentity> {
  const own = new Set(options.initialAdvertisePeerUrls);
  const others = options.initialCluster.filter((member) => !member.peerUrls.some((url) => own.has(url)));
  let remote;
  try {
    remote = await fetchRemoteCluster(others.flatMap((member) => member.peerUrls), options.tls?.peer ?? null);
  } catch (error) {
    throw new BootstrapError(error instanceof Error ? error.message : String(error));
  }
  const self = remote.members.find((member) => member.peerURLs.some((url) => own.has(url)));
  if (self === undefined) {
    throw new BootstrapError(`member with peer URLs ${[...own].join(',')} has not been added to the cluster (run member add first)`);
  }
  return { ...configured, memberId: self.ID, clusterId: remote.clusterId, members: remote.members };
}

async function openBackend(options: ServerOptions): Promise<Backend> {
  const batch = { batchWritesMax: options.backendBatchLimit, batchIntervalMs: options.backendBatchIntervalMs };
  if (options.dataDir === null) return MemoryBackend.open(batch);
  const snapDir = join(options.dataDir, 'member', 'snap');
  await mkdir(snapDir, { recursive: true });
  const path = join(snapDir, 'db');
  await checkBackendFile(path);
  return LmdbBackend.open(path, batch);
}

class OpenedMemberStorage implements MemberStorage {
  private confState: ConfState;
  private lastSnapshotIndex: number;
  private snapshotting = false;

  constructor(
    readonly identity: ClusterIdentity,
    readonly backend: Backend,
    readonly store: MvccStore,
    readonly membership: Membership,
    readonly wal: Wal | null,
    readonly raftStorage: MemoryStorage,
    readonly raftNode: RaftNode,
    readonly isSingleVoter: boolean,
    private readonly options: ServerOptions,
    marker: SnapshotMetadata | null,
  ) {
    this.confState = raftStorage.initialState().confState;
    this.lastSnapshotIndex = marker?.index ?? 0;
  }

  applyConfChange(entry: Entry): ConfChange {
    const change = decodeConfChange(entry.data);
    this.confState = this.raftNode.applyConfChange(change);
    return change;
  }

  maybeSnapshot(appliedIndex: number): void {
    if (this.snapshotting || appliedIndex - this.lastSnapshotIndex < this.options.snapshotCount) return;
    this.snapshotting = true;
    this.snapshot(appliedIndex)
      .catch((error: unknown) => {
        this.options.logger.error('failed to save snapshot', { error: String(error) });
      })
      .finally(() => {
        this.snapshotting = false;
      });
  }

  private async snapshot(index: number): Promise<void> {
    const term = this.raftStorage.term(index);
    const metadata: SnapshotMetadata = { index, term, confState: this.confState };
    this.raftStorage.createSnapshot(index, this.confState, new Uint8Array(0));
    writeSnapshotMarker(this.backend, metadata);
    // The backend must hold everything up to the marker before the WAL may forget it.
    await this.backend.commit();
    if (this.wal !== null) {
      await this.wal.saveSnapshot({ index, term });
      await this.wal.releaseBefore(index);
    }
    const compactTo = index - SNAPSHOT_CATCH_UP_ENTRIES;
    if (compactTo > this.raftStorage.firstIndex()) this.raftStorage.compact(compactTo);
    this.lastSnapshotIndex = index;
    this.options.logger.info('saved snapshot', { 'snapshot-index': index });
  }

  async close(): Promise<void> {
    if (this.wal !== null) await this.wal.close();
    await this.store.close();
    await this.backend.close();
  }
}
