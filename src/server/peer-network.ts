// Connects this member's raft to its peers: messages out of each Ready go to the
// peer transport; messages in are stepped into raft. The member list decides who
// the peers are, and follows every applied membership change.
import type { Member } from '../generated/etcdserverpb/rpc.js';
import type { Logger } from '../log/logger.js';
import { MessageType, type Message } from '../raft/message.js';
import type { MemberId } from '../raft/types.js';
import { PeerTransport } from '../transport/peer-transport.js';
import { encodeMember } from './membership.js';

export interface PeerHandlers {
  onMessage(message: Message): void;
  isRemoved(id: MemberId): boolean;
  onRemovedFromCluster(): void;
  onUnreachable(peer: MemberId): void;
  onSnapshotStatus(peer: MemberId, ok: boolean): void;
}

export class PeerNetwork {
  private readonly known = new Map<MemberId, string>();

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
  ): Promise<PeerNetwork> {
    const transport = await PeerTransport.listen({
      membersJson: () => `[${members().map((member) => encodeMember(member).toString('utf8')).join(',')}]`,
      memberId,
      clusterId,
      listenUrls,
      logger,
      onMessage: (message) => handlers.onMessage(message),
      isRemoved: (id) => handlers.isRemoved(id),
      onRemovedFromCluster: () => handlers.onRemovedFromCluster(),
      onUnreachable: (peer) => handlers.onUnreachable(peer),
      onSnapshotStatus: (peer, ok) => handlers.onSnapshotStatus(peer, ok),
    });
    return new PeerNetwork(transport, memberId, handlers, logger);
  }

  get boundUrls(): readonly string[] {
    return this.transport.boundUrls;
  }

  send(messages: readonly Message[]): void {
    const outgoing: Message[] = [];
    for (const message of messages) {
      if (message.type === MessageType.MsgSnap) {
        // Shipping the backend to a follower that fell behind the log is not built yet:
        // raft is told the snapshot failed and retries; the follower stays behind.
        this.logger.warn('cannot send a snapshot to a lagging member yet', { to: message.to.toString(16) });
        this.handlers.onSnapshotStatus(message.to, false);
        continue;
      }
      outgoing.push(message);
    }
    if (outgoing.length > 0) this.transport.send(outgoing);
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
