// The raft peer transport: listens on the peer URLs, keeps one sending link per
// peer, and turns raft's outgoing messages into batched stream writes and snapshot
// uploads. Network trouble never blocks or throws: it becomes drops and reports.
import type { Logger } from '../log/logger.js';
import { encodeMessage } from '../raft/message-codec.js';
import { MessageType, type Message } from '../raft/message.js';
import type { MemberId } from '../raft/types.js';
import type { TlsMaterial } from '../tls/tls-material.js';
import type { InboundContext } from './inbound-handler.js';
import { parsePeerUrl, PeerUrlError } from './peer-address.js';
import { PeerLink, type PeerLinkContext, type PeerStats } from './peer-link.js';
import { PeerListener } from './peer-listener.js';
import { zeroCounters, type TransportCounters } from './transport-counters.js';
import { MESSAGE_FRAME_BYTES_MAX } from './transport-limits.js';
import { idToHex } from './wire-protocol.js';

export interface PeerTransportOptions {
  readonly memberId: MemberId;
  readonly clusterId: bigint;
  /** --listen-peer-urls: http://host:port or unix://path. */
  readonly listenUrls: readonly URL[];
  readonly logger: Logger;
  /** This member's peer certificate (https peer URLs and dialing https peers); null/absent: none. */
  readonly tls?: TlsMaterial | null;
  /** etcd's check that a peer's client certificate names the address it connects from (default on). */
  readonly checkPeerSan?: boolean;
  /** Each valid message addressed to this member, in arrival order per peer. */
  onMessage(message: Message): void;
  /** A send to this peer failed (connection down, queue full): raft's reportUnreachable. Never called inside send(). */
  onUnreachable?(peer: MemberId): void;
  /** The outcome of sending a MsgSnap: raft's reportSnapshot. Never called inside send(). */
  onSnapshotStatus?(peer: MemberId, ok: boolean): void;
  /** Uniform in [0, 1), for reconnect jitter; Math.random when absent. */
  readonly random?: () => number;
  /** The member list as JSON for `GET /members` (a joining member asks for it, as with etcd). */
  membersJson?(): string;
  /** Answers a peer's GET /members/hashkv (corruption checks); absent: 404. */
  hashKv?(requestJson: string): Promise<{ readonly status: number; readonly body: string }>;
  /** Whether a member id was removed from the cluster: its streams get 410 Gone. */
  isRemoved?(id: MemberId): boolean;
  /** A peer answered 410 Gone: this member was removed from the cluster. */
  onRemovedFromCluster?(): void;
}

export interface TransportStats {
  readonly sent: number;
  readonly received: number;
  readonly dropped: number;
  readonly reconnects: number;
}

/** etcd's warnings for http peer URLs on a member that has peer TLS configured. */
function warnPlaintextWithCertificates(options: PeerTransportOptions): void {
  const tls = options.tls ?? null;
  if (tls === null) return;
  for (const url of options.listenUrls) {
    if (url.protocol !== 'http:' && url.protocol !== 'unix:') continue;
    if (!tls.selfSigned) options.logger.warn('scheme is HTTP while key and cert files are present; ignoring key and cert files', { 'peer-url': url.toString() });
    if (tls.requireClientCert) {
      options.logger.warn('scheme is HTTP while --peer-client-cert-auth is enabled; ignoring client cert auth for this URL', { 'peer-url': url.toString() });
    }
  }
}

export class PeerTransport {
  private readonly links = new Map<MemberId, PeerLink>();
  /** Links being closed by removePeer, awaited by close(). */
  private readonly linkClosings = new Set<Promise<void>>();
  private readonly linkContext: PeerLinkContext;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly options: PeerTransportOptions,
    private readonly counters: TransportCounters,
    private readonly listener: PeerListener,
  ) {
    this.linkContext = {
      memberId: options.memberId,
      clusterId: options.clusterId,
      logger: options.logger,
      random: options.random ?? Math.random,
      counters,
      tls: options.tls ?? null,
      onUnreachable: (peer) => this.reportUnreachable(peer),
      onSnapshotStatus: (peer, ok) => this.reportSnapshot(peer, ok),
      onRemovedFromCluster: () => options.onRemovedFromCluster?.(),
    };
  }

  /** Listens on every listen URL (or throws, with none left open). */
  static async listen(options: PeerTransportOptions): Promise<PeerTransport> {
    const addresses = options.listenUrls.map((url) => parsePeerUrl(url));
    const counters = zeroCounters();
    let transport: PeerTransport | null = null;
    const inbound: InboundContext = {
      memberId: options.memberId,
      clusterId: options.clusterId,
      logger: options.logger,
      counters,
      onMessage: (message) => options.onMessage(message),
      onReceivedBytes: (from, bytes) => transport?.links.get(from)?.countReceived(bytes),
      snapshotReceives: 0,
      membersJson: () => options.membersJson?.() ?? '[]',
      isRemoved: (id) => options.isRemoved?.(id) ?? false,
      ...(options.hashKv === undefined ? {} : { hashKv: options.hashKv }),
    };
    warnPlaintextWithCertificates(options);
    const listener = await PeerListener.open(addresses, inbound, { material: options.tls ?? null, checkSan: options.checkPeerSan ?? true });
    options.logger.info('started peer transport', {
      'local-member-id': idToHex(options.memberId), 'cluster-id': idToHex(options.clusterId), 'listen-peer-urls': listener.boundUrls,
    });
    transport = new PeerTransport(options, counters, listener);
    return transport;
  }

  /** The addresses peers can dial, with port 0 resolved. */
  get boundUrls(): readonly string[] {
    return this.listener.boundUrls;
  }

  /** Adds a peer or replaces its URLs; throws PeerUrlError for URLs that cannot be dialed. */
  setPeer(id: MemberId, urls: readonly string[]): void {
    if (this.closing !== null || id === this.options.memberId) return;
    if (urls.length === 0) throw new PeerUrlError('', `peer ${idToHex(id)} has no URLs`);
    const addresses = urls.map((url) => parsePeerUrl(url));
    const link = this.links.get(id);
    if (link !== undefined) link.setAddresses(addresses);
    else this.links.set(id, new PeerLink(id, addresses, this.linkContext));
  }

  removePeer(id: MemberId): void {
    const link = this.links.get(id);
    if (link === undefined) return;
    this.links.delete(id);
    const closed = link.close();
    this.linkClosings.add(closed);
    void closed.then(() => this.linkClosings.delete(closed));
  }

  /** Queues messages on their peers' links and starts writes; never blocks, never throws for network reasons. */
  send(messages: readonly Message[]): void {
    if (this.closing !== null) return;
    const touched = new Set<PeerLink>();
    const unreachable = new Set<MemberId>();
    for (const message of messages) {
      const link = this.links.get(message.to);
      if (link === undefined) {
        this.dropUnknownTarget(message);
        continue;
      }
      if (message.type === MessageType.MsgSnap) {
        link.sendSnapshot(message);
        continue;
      }
      const payload = encodeMessage(message);
      if (payload.length > MESSAGE_FRAME_BYTES_MAX) {
        this.options.logger.error('dropped a raft message larger than the frame limit', {
          'remote-peer-id': idToHex(message.to), type: message.type, 'size-bytes': payload.length, 'max-bytes': MESSAGE_FRAME_BYTES_MAX,
        });
        link.countFailure();
        unreachable.add(message.to);
        continue;
      }
      if (link.enqueue(payload) === 'queued') touched.add(link);
      else unreachable.add(message.to);
    }
    for (const link of touched) link.flush();
    // Once per peer per call: raft only needs to know the peer needs probing again.
    for (const peer of unreachable) this.reportUnreachable(peer);
  }

  /** Every message queued by send() has been written to its socket (or dropped): none waits for the event loop. */
  sentAll(): boolean {
    for (const link of this.links.values()) if (!link.sentAll()) return false;
    return true;
  }

  private dropUnknownTarget(message: Message): void {
    this.counters.dropped += 1;
    this.options.logger.debug('ignored a message to an unknown peer', { 'remote-peer-id': idToHex(message.to), type: message.type });
    if (message.type === MessageType.MsgSnap) this.reportSnapshot(message.to, false);
  }

  // Reports run as microtasks, never inside send(): the caller is usually in the middle
  // of handling a raft Ready, and stepping raft from its own send hook would interleave
  // with that Ready.
  // After close() they are dropped, since the owner is shutting raft down.
  private reportUnreachable(peer: MemberId): void {
    const report = this.options.onUnreachable;
    if (report === undefined) return;
    queueMicrotask(() => {
      if (this.closing === null) report(peer);
    });
  }

  private reportSnapshot(peer: MemberId, ok: boolean): void {
    const report = this.options.onSnapshotStatus;
    if (report === undefined) return;
    queueMicrotask(() => {
      if (this.closing === null) report(peer, ok);
    });
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  /** Traffic per known peer (etcd_network_active_peers, etcd_network_peer_*_total). */
  peerStats(): ReadonlyMap<MemberId, PeerStats> {
    return new Map([...this.links].map(([id, link]) => [id, link.stats()]));
  }

  /** Closes links (dropping what is queued), then the listeners. Safe twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const links = [...this.links.values()];
      this.links.clear();
      await Promise.all([...links.map((link) => link.close()), ...this.linkClosings]);
      await this.listener.close();
      this.options.logger.info('stopped peer transport', { 'local-member-id': idToHex(this.options.memberId) });
    })();
    return this.closing;
  }
}
