// Connects this member's raft to its peers: messages out of each Ready go to the
// peer transport; messages in are stepped into raft. The member list decides who
// the peers are, and follows every applied membership change.
import type { Member } from '../generated/etcdserverpb/rpc.js';
import type { Logger } from '../log/logger.js';
import { MessageType, type Message } from '../raft/message.js';
import type { MemberId, Snapshot } from '../raft/types.js';
import { NO_MEMBER_TLS, type MemberTls } from '../tls/member-tls.js';
import type { PeerStats } from '../transport/peer-link.js';
import { PeerTransport } from '../transport/peer-transport.js';
import { encodeMember } from './membership.js';

/** After a snapshot to a peer failed, the next one waits this long. */
export const SNAPSHOT_RETRY_MS = 1000;

export interface PeerHandlers {
  /** The state to ship to a follower behind the leader's log. */
  buildSnapshot(): Promise<Snapshot>;
  onMessage(message: Message): void;
  isRemoved(id: MemberId): boolean;
  onRemovedFromCluster(): void;
  onUnreachable(peer: MemberId): void;
  onSnapshotStatus(peer: MemberId, ok: boolean): void;
  /** A peer's GET /members/hashkv (etcd's corruption checks). */
  hashKv?(requestJson: string): Promise<{ readonly status: number; readonly body: string }>;
}

export class PeerNetwork {
  private readonly known = new Map<MemberId, string>();
  /** Per peer: when the next snapshot may be built (Infinity while one is in flight). */
  private readonly snapshotBusyUntilMs = new Map<MemberId, number>();

  private constructor(
    private readonly transport: PeerTransport,
    private readonly memberId: MemberId,
    private readonly handlers: PeerHandlers,
    private readonly logger: Logger,
  ) {}

  static async open(
    memberId: MemberId,
    clusterId: bigint,
    listenUrls: readonly URL[],
    handlers: PeerHandlers,
    logger: Logger,
    members: () => readonly Member[],
    tls: MemberTls = NO_MEMBER_TLS,
  ): Promise<PeerNetwork> {
    let network: PeerNetwork | null = null;
    const transport = await PeerTransport.listen({
      tls: tls.peer,
      checkPeerSan: tls.checkPeerSan,
      membersJson: () => `[${members().map((member) => encodeMember(member).toString('utf8')).join(',')}]`,
      memberId,
      clusterId,
      listenUrls,
      logger,
      onMessage: (message) => handlers.onMessage(message),
      isRemoved: (id) => handlers.isRemoved(id),
      onRemovedFromCluster: () => handlers.onRemovedFromCluster(),
      onUnreachable: (peer) => handlers.onUnreachable(peer),
      onSnapshotStatus: (peer, ok) => network?.snapshotFinished(peer, ok),
      ...(handlers.hashKv === undefined ? {} : { hashKv: handlers.hashKv }),
    });
    network = new PeerNetwork(transport, memberId, handlers, logger);
    return network;
  }

  get boundUrls(): readonly string[] {
    return this.transport.boundUrls;
  }

  send(messages: readonly Message[]): void {
    const outgoing: Message[] = [];
    for (const message of messages) {
      if (message.type === MessageType.MsgSnap) {
        this.sendSnapshot(message);
        continue;
      }
      outgoing.push(message);
    }
    if (outgoing.length > 0) this.transport.send(outgoing);
  }

  /** Traffic per peer, for etcd's etcd_network_* metrics. */
  peerStats(): ReadonlyMap<bigint, PeerStats> {
    return this.transport.peerStats();
  }

  /** Every message given to send() is with the kernel: none waits for the event loop. */
  sentAll(): boolean {
    return this.transport.sentAll();
  }

  /**
   * Raft's MsgSnap names the log position; the data is a fresh copy of the backend.
   * Copies are costly, so one is in flight per peer, none is made for a peer that is
   * not connected, and after a failure the next waits SNAPSHOT_RETRY_MS (raft stays in
   * its snapshot state until the failure is reported, so it does not ask again sooner).
   */
  private sendSnapshot(message: Message): void {
    const to = message.to;
    const waitMs = (this.snapshotBusyUntilMs.get(to) ?? 0) - Date.now();
    const connected = this.transport.peerStats().get(to)?.active ?? false;
    if (waitMs > 0 || !connected) {
      const delayMs = Math.max(waitMs, SNAPSHOT_RETRY_MS);
      if (Number.isFinite(delayMs)) setTimeout(() => this.handlers.onSnapshotStatus(to, false), delayMs).unref();
      return;
    }
    this.snapshotBusyUntilMs.set(to, Number.POSITIVE_INFINITY);
    this.handlers
      .buildSnapshot()
      .then((snapshot) => {
        this.logger.info('sending database snapshot', { to: to.toString(16), index: snapshot.metadata.index, bytes: snapshot.data.length });
        this.transport.send([{ ...message, snapshot }]);
      })
      .catch((error: unknown) => {
        this.logger.warn('failed to build a snapshot for a lagging member', { to: to.toString(16), error: String(error) });
        this.snapshotFinished(to, false);
      });
  }

  private snapshotFinished(peer: MemberId, ok: boolean): void {
    this.snapshotBusyUntilMs.set(peer, ok ? 0 : Date.now() + SNAPSHOT_RETRY_MS);
    this.handlers.onSnapshotStatus(peer, ok);
  }

  /** Makes the transport's peers the given members (all but this one). */
  syncPeers(members: readonly Member[]): void {
    const wanted = new Map<MemberId, string>();
    for (const member of members) {
      if (member.ID !== this.memberId) wanted.set(member.ID, member.peerURLs.join(','));
    }
    for (const id of this.known.keys()) {
      if (!wanted.has(id)) {
        this.transport.removePeer(id);
        this.known.delete(id);
      }
    }
    for (const [id, urls] of wanted) {
      if (this.known.get(id) === urls) continue;
      this.transport.setPeer(id, urls.split(','));
      this.known.set(id, urls);
    }
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
