// The HTTP/2 requests a listener serves: the member list, HashKV for corruption
// checks, and snapshot uploads (checked for who is calling first). Decoded messages
// from either a snapshot or a message stream are delivered through here.
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Logger } from '../log/logger.js';
import { MalformedError } from '../raft/errors.js';
import { decodeMessage } from '../raft/message-codec.js';
import { isLocalMessage, MessageType, type Message } from '../raft/message.js';
import type { MemberId } from '../raft/types.js';
import { checkCaller } from './caller-check.js';
import type { TransportCounters } from './transport-counters.js';
import { SNAPSHOT_BYTES_MAX, SNAPSHOT_RECEIVES_MAX } from './transport-limits.js';
import {
  HASHKV_PATH, HEADER_CLUSTER_ID, HEADER_FROM, HEADER_PROTOCOL, HEADER_TO, idToHex, MEMBERS_PATH, parseHexId, SNAPSHOT_PATH,
  STATUS_BAD_REQUEST, STATUS_BUSY, STATUS_NOT_FOUND, STATUS_SNAPSHOT_OK, STATUS_TOO_LARGE,
} from './wire-protocol.js';

export interface InboundContext {
  readonly memberId: MemberId;
  readonly clusterId: bigint;
  readonly logger: Logger;
  readonly counters: TransportCounters;
  onMessage(message: Message): void;
  /** Bytes that arrived from a peer (counted for known peers only). */
  onReceivedBytes(from: MemberId, bytes: number): void;
  /** Snapshot uploads being read right now, across all connections. */
  snapshotReceives: number;
  /** The member list as etcd's /members JSON. */
  membersJson(): string;
  isRemoved(id: MemberId): boolean;
  /** GET /members/hashkv (etcd's corruption checks): the JSON request body in, the status and body out. */
  hashKv?(requestJson: string): Promise<{ readonly status: number; readonly body: string }>;
}

/** A HashKV request is a few bytes of JSON. */
const HASHKV_REQUEST_BYTES_MAX = 64 * 1024;

export function handleInboundStream(ctx: InboundContext, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  // A peer vanishing mid-stream is routine; 'close' does the cleanup.
  stream.on('error', (error) => ctx.logger.debug('peer stream error', { error: error.message }));
  const path = headers[':path'];
  if (headers[':method'] === 'GET' && path === MEMBERS_PATH) {
    // Open to any caller, as etcd's: a member joining the cluster does not know its id yet.
    stream.respond({ ':status': 200, 'content-type': 'application/json', [HEADER_CLUSTER_ID]: idToHex(ctx.clusterId) });
    stream.end(ctx.membersJson());
    return;
  }
  if (headers[':method'] === 'GET' && path === HASHKV_PATH && ctx.hashKv !== undefined) {
    answerHashKv(ctx, ctx.hashKv, stream);
    return;
  }
  // Message streams are not HTTP/2 requests: they have connections of their own (inbound-message-stream.ts).
  if (headers[':method'] !== 'POST' || path !== SNAPSHOT_PATH) {
    refuse(ctx, stream, STATUS_NOT_FOUND, 'not found');
    return;
  }
  const from = checkHeaders(ctx, stream, headers);
  if (from === null) return;
  receiveSnapshot(ctx, stream, from, headers);
}

/** Reads the (small) request body, then answers with the member's hash, as etcd's peer handler. */
function answerHashKv(ctx: InboundContext, hashKv: NonNullable<InboundContext['hashKv']>, stream: ServerHttp2Stream): void {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= HASHKV_REQUEST_BYTES_MAX) chunks.push(chunk);
  });
  stream.on('end', () => {
    if (size > HASHKV_REQUEST_BYTES_MAX) {
      refuse(ctx, stream, STATUS_BAD_REQUEST, 'error reading body');
      return;
    }
    hashKv(Buffer.concat(chunks).toString('utf8')).then(
      (answer) => {
        if (stream.destroyed) return;
        stream.respond({ ':status': answer.status, 'content-type': 'application/json', [HEADER_CLUSTER_ID]: idToHex(ctx.clusterId) });
        stream.end(answer.body);
      },
      (error: unknown) => refuse(ctx, stream, STATUS_BAD_REQUEST, error instanceof Error ? error.message : String(error)),
    );
  });
}

/** The sender's member id when the caller may talk to us; otherwise refuses the stream. */
function checkHeaders(ctx: InboundContext, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): MemberId | null {
  const protocol = headers[HEADER_PROTOCOL];
  const verdict = checkCaller(ctx, {
    version: typeof protocol === 'string' ? protocol : undefined,
    clusterId: parseHexId(headers[HEADER_CLUSTER_ID]),
    from: parseHexId(headers[HEADER_FROM]),
    to: parseHexId(headers[HEADER_TO]),
    shown: { clusterId: String(headers[HEADER_CLUSTER_ID]), from: String(headers[HEADER_FROM]), to: String(headers[HEADER_TO]) },
  });
  if (verdict.accepted) return verdict.from;
  refuse(ctx, stream, verdict.status, verdict.text);
  return null;
}

function refuse(ctx: InboundContext, stream: ServerHttp2Stream, status: number, text: string): void {
  if (stream.destroyed) return;
  if (!stream.headersSent) {
    stream.respond({ ':status': status, 'content-type': 'text/plain', [HEADER_CLUSTER_ID]: idToHex(ctx.clusterId) });
  }
  stream.end(`${text}\n`);
}

/** Delivers a decoded message if it is one a peer may send us; counts it either way. */
export function deliver(ctx: InboundContext, message: Message, from: MemberId): void {
  if (message.to !== ctx.memberId || isLocalMessage(message.type)) {
    ctx.counters.dropped += 1;
    ctx.logger.debug('dropped a peer message not meant for this member', {
      'local-member-id': idToHex(ctx.memberId), 'remote-peer-id': idToHex(from), to: idToHex(message.to), type: message.type,
    });
    return;
  }
  ctx.counters.received += 1;
  ctx.onMessage(message);
}

function receiveSnapshot(ctx: InboundContext, stream: ServerHttp2Stream, from: MemberId, headers: IncomingHttpHeaders): void {
  const declaredBytes = Number(headers['content-length'] ?? 0);
  if (declaredBytes > SNAPSHOT_BYTES_MAX) {
    refuse(ctx, stream, STATUS_TOO_LARGE, 'snapshot too large');
    return;
  }
  if (ctx.snapshotReceives >= SNAPSHOT_RECEIVES_MAX) {
    refuse(ctx, stream, STATUS_BUSY, 'too many snapshots being received');
    return;
  }
  ctx.snapshotReceives += 1;
  stream.once('close', () => (ctx.snapshotReceives -= 1));
  const chunks: Buffer[] = [];
  let receivedBytes = 0;
  stream.on('data', (chunk: Buffer) => {
    ctx.onReceivedBytes(from, chunk.length);
    receivedBytes += chunk.length;
    if (receivedBytes > SNAPSHOT_BYTES_MAX) refuse(ctx, stream, STATUS_TOO_LARGE, 'snapshot too large');
    else chunks.push(chunk);
  });
  stream.on('end', () => {
    if (receivedBytes > SNAPSHOT_BYTES_MAX) return;
    finishSnapshot(ctx, stream, from, Buffer.concat(chunks, receivedBytes));
  });
}

function finishSnapshot(ctx: InboundContext, stream: ServerHttp2Stream, from: MemberId, body: Buffer): void {
  let message: Message;
  try {
    message = decodeMessage(body);
  } catch (error) {
    if (!(error instanceof MalformedError)) throw error;
    ctx.logger.warn('refused a malformed snapshot from peer', { 'remote-peer-id': idToHex(from), error: error.message });
    refuse(ctx, stream, STATUS_BAD_REQUEST, 'malformed snapshot message');
    return;
  }
  if (message.type !== MessageType.MsgSnap || message.snapshot === undefined || message.to !== ctx.memberId) {
    ctx.counters.dropped += 1;
    refuse(ctx, stream, STATUS_BAD_REQUEST, 'not a snapshot message for this member');
    return;
  }
  ctx.logger.info('received database snapshot from peer', {
    'local-member-id': idToHex(ctx.memberId), 'remote-snapshot-sender-id': idToHex(from),
    'incoming-snapshot-index': message.snapshot.metadata.index, 'incoming-snapshot-message-size-bytes': body.length,
  });
  deliver(ctx, message, from);
  if (!stream.destroyed) {
    stream.respond({ ':status': STATUS_SNAPSHOT_OK, [HEADER_CLUSTER_ID]: idToHex(ctx.clusterId) });
    stream.end();
  }
}
