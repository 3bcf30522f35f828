// The sending half for one peer: a bounded queue of encoded messages, one long-lived
// message stream connection that carries them in batches, reconnection with backoff,
// and snapshot uploads on HTTP/2 connections of their own.
import type { OutgoingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { encodeMessage } from '../raft/message-codec.js';
import type { Message } from '../raft/message.js';
import type { MemberId } from '../raft/types.js';
import type { TlsMaterial } from '../tls/tls-material.js';
import { assert } from '../util/assert.js';
import { frameBytes, packFrames } from './frame-codec.js';
import { describeAddress, type PeerAddress } from './peer-address.js';
import { ANSWER_BYTES, encodePreface, MESSAGE_STREAM_ALPN, readAnswer } from './message-stream-preface.js';
import { openSocket } from './peer-session.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { keepSocketAlive } from './socket-liveness.js';
import { uploadSnapshot, type SnapshotUpload } from './snapshot-upload.js';
import type { TransportCounters } from './transport-counters.js';
import {
  PEER_QUEUE_BYTES_MAX, PEER_QUEUE_MESSAGES_MAX, SNAPSHOT_BYTES_MAX, SNAPSHOT_SENDS_PER_PEER_MAX, STABLE_STREAM_MS,
  WRITE_BATCH_BYTES_MAX,
} from './transport-limits.js';
import {
  HEADER_CLUSTER_ID, HEADER_FROM, HEADER_PROTOCOL, HEADER_TO, idToHex, PROTOCOL_VERSION, STATUS_MEMBER_REMOVED,
  STATUS_PRECONDITION_FAILED, STATUS_STREAM_OK,
} from './wire-protocol.js';

export interface PeerLinkContext {
  readonly memberId: MemberId;
  readonly clusterId: bigint;
  readonly logger: Logger;
  readonly random: () => number;
  readonly counters: TransportCounters;
  /** This member's peer certificate, presented when dialing https peers; null: none. */
  readonly tls: TlsMaterial | null;
  onUnreachable(peer: MemberId): void;
  onSnapshotStatus(peer: MemberId, ok: boolean): void;
  onRemovedFromCluster(): void;
}

type LinkState =
  /** Dialed, preface sent, waiting for the answer. */
  | { readonly kind: 'connecting'; readonly socket: Socket }
  | { readonly kind: 'streaming'; readonly socket: Socket; readonly openedAtMs: number }
  /** After a failure, until the backoff timer dials again; sends are dropped meanwhile. */
  | { readonly kind: 'waiting'; readonly timer: NodeJS.Timeout }
  | { readonly kind: 'closed' };

export type EnqueueResult = 'queued' | 'peer-down' | 'queue-full';

/** One peer's traffic, for etcd's etcd_network_peer_* metrics. */
export interface PeerStats {
  /** A message stream to the peer is open. */
  readonly active: boolean;
  readonly sentBytes: number;
  readonly receivedBytes: number;
  /** Messages to this peer dropped or lost, and snapshots that failed. */
  readonly sentFailures: number;
}

export class PeerLink {
  private state: LinkState;
  private addresses: readonly PeerAddress[];
  private addressIndex = 0;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  /** The connection a write is in flight on; null when none is. */
  private writingOn: Socket | null = null;
  /** Why the last attempt failed, to log a repeated reason once instead of every second. */
  private lastFailure: string | null = null;
  private overloaded = false;
  private sentBytes = 0;
  private receivedBytes = 0;
  private sentFailures = 0;
  private readonly backoff: ReconnectBackoff;
  private readonly uploads = new Set<SnapshotUpload>();
  /** Connections not yet fully closed, awaited by close(). */
  private readonly closings = new Set<Promise<void>>();

  constructor(
    readonly peerId: MemberId,
    addresses: readonly PeerAddress[],
    private readonly ctx: PeerLinkContext,
  ) {
    this.addresses = addresses;
    this.backoff = new ReconnectBackoff(ctx.random);
    this.state = this.dial();
  }

  private get fields(): Record<string, string> {
    return { 'local-member-id': idToHex(this.ctx.memberId), 'remote-peer-id': idToHex(this.peerId) };
  }

  private get address(): PeerAddress {
    const address = this.addresses[this.addressIndex % this.addresses.length];
    assert(address !== undefined, 'a peer link always has at least one address');
    return address;
  }

  private headers(): OutgoingHttpHeaders {
    return {
      [HEADER_CLUSTER_ID]: idToHex(this.ctx.clusterId),
      [HEADER_FROM]: idToHex(this.ctx.memberId),
      [HEADER_TO]: idToHex(this.peerId),
      [HEADER_PROTOCOL]: PROTOCOL_VERSION,
    };
  }

  private dial(): LinkState {
    const socket = openSocket(this.address, this.ctx.tls, MESSAGE_STREAM_ALPN);
    this.track(new Promise<void>((resolve) => socket.once('close', () => resolve())));
    socket.on('error', (error) => this.fail(socket, `connection error: ${error.message}`));
    socket.on('close', () => this.fail(socket, 'connection closed by peer'));
    socket.write(encodePreface(this.ctx.clusterId, this.ctx.memberId, this.peerId));
    keepSocketAlive(socket, () => this.state.kind === 'streaming' && this.state.socket === socket);
    let answer: Buffer = Buffer.alloc(0);
    const onAnswer = (chunk: Buffer): void => {
      answer = answer.length === 0 ? chunk : Buffer.concat([answer, chunk]);
      if (answer.length < ANSWER_BYTES) return;
      // After the answer the peer sends only keep-alives: read and ignore them.
      socket.off('data', onAnswer);
      socket.on('data', ignore);
      const { status, clusterId } = readAnswer(answer);
      if (status === STATUS_STREAM_OK) this.opened(socket);
      else {
        if (status === STATUS_MEMBER_REMOVED) this.ctx.onRemovedFromCluster();
        this.fail(socket, refusalReason(status, idToHex(clusterId), this.ctx.clusterId));
      }
    };
    socket.on('data', onAnswer);
    return { kind: 'connecting', socket };
  }

  private track(closed: Promise<void>): void {
    this.closings.add(closed);
    void closed.then(() => this.closings.delete(closed));
  }

  private opened(socket: Socket): void {
    if (this.state.kind !== 'connecting' || this.state.socket !== socket) return;
    this.state = { kind: 'streaming', socket, openedAtMs: performance.now() };
    this.lastFailure = null;
    this.ctx.logger.info('established a message stream with remote peer', { ...this.fields, url: describeAddress(this.address) });
    this.flush();
  }

  private fail(socket: Socket, reason: string): void {
    const state = this.state;
    if ((state.kind !== 'connecting' && state.kind !== 'streaming') || state.socket !== socket) return;
    socket.destroy();
    const lostCount = this.dropQueue();
    const fields = { ...this.fields, url: describeAddress(this.address), reason, 'dropped-messages': lostCount };
    if (state.kind === 'streaming') this.ctx.logger.warn('lost the message stream with remote peer', fields);
    else if (reason !== this.lastFailure) this.ctx.logger.warn('failed to open a message stream with remote peer', fields);
    else this.ctx.logger.debug('failed to open a message stream with remote peer', fields);
    this.lastFailure = reason;
    // Only a stream that stayed up a while proves the peer healthy: one that is accepted
    // and dropped at once must not turn into a reconnect loop at the shortest delay.
    if (state.kind === 'streaming' && performance.now() - state.openedAtMs >= STABLE_STREAM_MS) this.backoff.reset();
    // Another URL of the same peer may work where this one did not.
    this.addressIndex = (this.addressIndex + 1) % this.addresses.length;
    this.state = { kind: 'waiting', timer: setTimeout(() => this.redial(), this.backoff.next()) };
    this.ctx.onUnreachable(this.peerId);
  }

  private redial(): void {
    if (this.state.kind !== 'waiting') return;
    this.ctx.counters.reconnects += 1;
    this.state = this.dial();
  }

  private dropQueue(): number {
    const count = this.queue.length;
    this.ctx.counters.dropped += count;
    this.sentFailures += count;
    this.queue = [];
    this.queuedBytes = 0;
    this.writingOn = null;
    return count;
  }

  /** Queues an encoded message; the caller flushes after queueing a batch. */
  enqueue(payload: Uint8Array): EnqueueResult {
    const result = this.tryEnqueue(payload);
    if (result !== 'queued') this.countFailure();
    return result;
  }

  /** A message to this peer that will not be sent (dropped here or refused by the transport). */
  countFailure(): void {
    this.ctx.counters.dropped += 1;
    this.sentFailures += 1;
  }

  /** Bytes of messages that arrived from this peer. */
  countReceived(bytes: number): void {
    this.receivedBytes += bytes;
  }

  stats(): PeerStats {
    return {
      active: this.state.kind === 'streaming', sentBytes: this.sentBytes, receivedBytes: this.receivedBytes, sentFailures: this.sentFailures,
    };
  }

  private tryEnqueue(payload: Uint8Array): EnqueueResult {
    if (this.state.kind === 'waiting' || this.state.kind === 'closed') return 'peer-down';
    const bytes = frameBytes(payload);
    if (this.queue.length >= PEER_QUEUE_MESSAGES_MAX || this.queuedBytes + bytes > PEER_QUEUE_BYTES_MAX) {
      if (!this.overloaded) {
        this.overloaded = true;
        this.ctx.logger.warn('dropping messages to remote peer: sending buffer is full (slow peer or network)', {
          ...this.fields, 'queued-messages': this.queue.length, 'queued-bytes': this.queuedBytes,
        });
      }
      return 'queue-full';
    }
    this.queue.push(payload);
    this.queuedBytes += bytes;
    return 'queued';
  }

  /** Nothing queued, and the socket took everything written to it (socket writes reach the kernel at once when they can). */
  sentAll(): boolean {
    if (this.queue.length > 0) return false;
    return this.state.kind !== 'streaming' || this.state.socket.writableLength === 0;
  }

  /** Starts a write of everything queued (up to a batch limit) unless one is in flight. */
  flush(): void {
    if (this.state.kind !== 'streaming' || this.writingOn !== null || this.queue.length === 0) return;
    const socket = this.state.socket;
    let count = 0;
    let bytes = 0;
    // Bounded by the queue length; the first frame always goes, however large.
    while (count < this.queue.length && (count === 0 || bytes + frameBytes(this.queue[count] ?? EMPTY) <= WRITE_BATCH_BYTES_MAX)) {
      bytes += frameBytes(this.queue[count] ?? EMPTY);
      count += 1;
    }
    const batch = this.queue.splice(0, count);
    this.queuedBytes -= bytes;
    if (this.queue.length === 0) this.overloaded = false;
    this.writingOn = socket;
    socket.write(packFrames(batch), (error) => {
      if (this.writingOn !== socket) return;
      this.writingOn = null;
      // A failed write is followed by the socket's 'error' or 'close', which handles it.
      if (error !== null && error !== undefined) return;
      this.ctx.counters.sent += count;
      this.sentBytes += bytes;
      this.flush();
    });
  }

  /** Starts uploading a snapshot; onSnapshotStatus reports the outcome. */
  sendSnapshot(message: Message): void {
    const snapshotIndex = message.snapshot?.metadata.index ?? 0;
    const refuse = (reason: string): void => {
      this.ctx.logger.warn('failed to send database snapshot to remote peer', { ...this.fields, reason, 'snapshot-index': snapshotIndex });
      this.countFailure();
      this.ctx.onUnreachable(this.peerId);
      this.ctx.onSnapshotStatus(this.peerId, false);
    };
    if (this.state.kind === 'closed') return;
    if (this.uploads.size >= SNAPSHOT_SENDS_PER_PEER_MAX) return refuse('another snapshot is still being sent to this peer');
    // Checked before encoding, so an oversized snapshot is never copied.
    const dataBytes = message.snapshot?.data.length ?? 0;
    if (dataBytes > SNAPSHOT_BYTES_MAX) return refuse(`snapshot data of ${dataBytes} bytes exceeds the limit of ${SNAPSHOT_BYTES_MAX}`);
    const payload = encodeMessage(message);
    if (payload.length > SNAPSHOT_BYTES_MAX) return refuse(`snapshot message of ${payload.length} bytes exceeds the limit of ${SNAPSHOT_BYTES_MAX}`);
    const upload = uploadSnapshot(this.address, this.ctx.tls, this.headers(), payload);
    this.uploads.add(upload);
    this.track(upload.closed);
    this.ctx.logger.info('sending database snapshot to remote peer', { ...this.fields, 'snapshot-index': snapshotIndex, 'size-bytes': payload.length });
    void upload.done.then((outcome) => {
      this.uploads.delete(upload);
      if (this.state.kind === 'closed') return;
      if (!outcome.ok) return refuse(outcome.reason);
      this.ctx.counters.sent += 1;
      this.sentBytes += payload.length;
      this.ctx.logger.info('sent database snapshot to remote peer', { ...this.fields, 'snapshot-index': snapshotIndex });
      this.ctx.onSnapshotStatus(this.peerId, true);
    });
  }

  /** New URLs (a member update): reconnect if the current one is no longer listed. */
  setAddresses(addresses: readonly PeerAddress[]): void {
    const current = describeAddress(this.address);
    this.addresses = addresses;
    const index = addresses.findIndex((a) => describeAddress(a) === current);
    this.addressIndex = index >= 0 ? index : 0;
    if (index >= 0 || this.state.kind === 'closed') return;
    if (this.state.kind !== 'waiting') {
      this.fail(this.state.socket, 'peer URLs changed');
      return;
    }
    clearTimeout(this.state.timer);
    this.state = this.dial();
  }

  /** Ends the stream and any uploads, dropping what is queued. Safe twice. */
  async close(): Promise<void> {
    const state = this.state;
    this.state = { kind: 'closed' };
    if (state.kind === 'waiting') clearTimeout(state.timer);
    if (state.kind === 'connecting' || state.kind === 'streaming') state.socket.destroy();
    this.dropQueue();
    for (const upload of this.uploads) upload.abort();
    await Promise.all([...this.closings]);
  }
}

const EMPTY = new Uint8Array(0);

function ignore(): void {
  // Keep-alives from the peer: their arrival is all that matters (socket-liveness.ts).
}

function refusalReason(status: number, peerCluster: string, localClusterId: bigint): string {
  if (status === STATUS_PRECONDITION_FAILED) {
    return `peer refused the stream (status 412): local cluster ${idToHex(localClusterId)}, peer cluster ${peerCluster}`;
  }
  return `peer refused the stream with status ${String(status)}`;
}
