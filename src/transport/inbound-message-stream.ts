// The listening end of a message stream connection: reads the dialer's preface,
// checks the caller, answers, then cuts the rest of the connection into frames and
// hands each decoded message to raft. Bad bytes close this connection only.
import type { Socket } from 'node:net';
import { MalformedError } from '../raft/errors.js';
import { decodeMessage } from '../raft/message-codec.js';
import type { Message } from '../raft/message.js';
import type { MemberId } from '../raft/types.js';
import { checkCaller } from './caller-check.js';
import { FrameDecoder, FrameError } from './frame-codec.js';
import { deliver, type InboundContext } from './inbound-handler.js';
import { encodeAnswer, PrefaceError, readPreface } from './message-stream-preface.js';
import { keepSocketAlive } from './socket-liveness.js';
import { MESSAGE_FRAME_BYTES_MAX } from './transport-limits.js';
import { idToHex, STATUS_PRECONDITION_FAILED, STATUS_STREAM_OK } from './wire-protocol.js';

/** Serves a connection whose first bytes are a message stream preface; `first` holds the bytes read so far. */
export function serveMessageStream(ctx: InboundContext, socket: Socket, first: Buffer): void {
  let accepted = false;
  let received: Buffer = Buffer.alloc(0);
  keepSocketAlive(socket, () => accepted);
  const onPreface = (chunk: Buffer): void => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const outcome = readOn(ctx, socket, received);
    if (outcome === 'partial') return;
    socket.off('data', onPreface);
    if (outcome === 'refused') return;
    accepted = true;
    receiveFrames(ctx, socket, outcome.from, outcome.rest);
  };
  socket.on('data', onPreface);
  if (first.length > 0) onPreface(first);
}

type PrefaceOutcome = 'partial' | 'refused' | { readonly from: MemberId; readonly rest: Buffer };

/** Acts on the preface bytes so far: waits for more, refuses (ending the connection), or accepts. */
function readOn(ctx: InboundContext, socket: Socket, received: Buffer): PrefaceOutcome {
  let read;
  try {
    read = readPreface(received);
  } catch (error) {
    if (!(error instanceof PrefaceError)) throw error;
    ctx.logger.warn('closed an inbound peer connection after a protocol error', { error: error.message });
    socket.destroy();
    return 'refused';
  }
  if (read.kind === 'partial') return 'partial';
  if (read.kind === 'other-version') {
    ctx.logger.warn('refused peer stream: unsupported peer protocol version', {
      'local-member-id': idToHex(ctx.memberId), 'remote-protocol': read.version,
    });
    refuse(ctx, socket, STATUS_PRECONDITION_FAILED);
    return 'refused';
  }
  const { claims } = read;
  const verdict = checkCaller(ctx, {
    ...claims,
    shown: { clusterId: idToHex(claims.clusterId), from: idToHex(claims.from), to: idToHex(claims.to) },
  });
  if (!verdict.accepted) {
    refuse(ctx, socket, verdict.status);
    return 'refused';
  }
  socket.write(encodeAnswer(STATUS_STREAM_OK, ctx.clusterId));
  return { from: verdict.from, rest: read.rest };
}

/** The refusing status, then the end of the connection; nothing more is read. */
function refuse(ctx: InboundContext, socket: Socket, status: number): void {
  socket.pause();
  socket.end(encodeAnswer(status, ctx.clusterId));
}

function receiveFrames(ctx: InboundContext, socket: Socket, from: MemberId, rest: Buffer): void {
  const decoder = new FrameDecoder(MESSAGE_FRAME_BYTES_MAX);
  const onData = (chunk: Buffer): void => {
    if (ctx.isRemoved(from)) {
      // Removed while its stream was open: cut it, so its next dial hears 410 Gone.
      socket.destroy();
      return;
    }
    ctx.onReceivedBytes(from, chunk.length);
    const messages: Message[] = [];
    try {
      for (const frame of decoder.push(chunk)) {
        // An empty frame is the sender's keep-alive.
        if (frame.length > 0) messages.push(decodeMessage(frame));
      }
    } catch (error) {
      if (!(error instanceof FrameError || error instanceof MalformedError)) throw error;
      ctx.logger.warn('closed peer connection after a malformed message', {
        'local-member-id': idToHex(ctx.memberId), 'remote-peer-id': idToHex(from), error: error.message,
      });
      socket.destroy();
      return;
    }
    // Decoded first, delivered after: a bad frame late in a chunk drops the whole chunk,
    // so raft never sees a batch cut at an arbitrary point without knowing it.
    for (const message of messages) deliver(ctx, message, from);
  };
  socket.on('data', onData);
  if (rest.length > 0) onData(rest);
}
