// Decides, per HTTP/2 connection, whether its requests need their :authority rewritten
// (a URL such as "http://127.0.0.1:2379", which Node's HTTP/2 layer resets with
// PROTOCOL_ERROR) and hands the connection to the server: as the native socket, with the
// bytes read so far put back (the fast path), or through a rewriting stream.
// grpc-go clients (etcdctl) send no request before the server's SETTINGS, so an empty
// SETTINGS is sent first and the client's ACK of it is taken out of what the server sees.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { prefixedSocket } from '../http/prefixed-socket.js';
import { AuthorityRewriter, authorityOfUrl, HEADER_BLOCK_BYTES_MAX } from './authority-rewriter.js';
import { FrameFlag, FrameReader, FrameType, frameHeader, type Frame } from './frame-reader.js';
import { HeaderBlockAssembler } from './header-block-assembler.js';
import { HpackDecoder } from './hpack-decoder.js';
import { RewritingConnection } from './rewriting-connection.js';

export const HTTP2_PREFACE_BYTES = 24;
/**
 * A client that acknowledged our SETTINGS but sends no request this long is handed on as it is
 * (natively); generous, since a grpc-go client sends its first request right after the ACK,
 * and one late on a loaded machine would get the native path and its reset.
 */
export const FIRST_REQUEST_WAIT_MS = 1_000;
/** A client that never acknowledges our SETTINGS is dropped. */
export const SETTINGS_ACK_TIMEOUT_MS = 10_000;
/** Bytes read while deciding; past this the connection is handed on as it is. */
export const PEEK_BYTES_MAX = HEADER_BLOCK_BYTES_MAX + 64 * 1024;

const EMPTY_SETTINGS = frameHeader(0, FrameType.settings, 0, 0);

type Verdict = 'native' | 'rewrite' | 'undecided';

/** What the first frames say, fed frame by frame. */
class FirstRequestPeek {
  ackSeen = false;
  authority: string | null = null;
  readonly kept: Buffer[] = [];
  private readonly assembler = new HeaderBlockAssembler(HEADER_BLOCK_BYTES_MAX);
  private readonly decoder = new HpackDecoder();

  take(frame: Frame): Verdict {
    if (!this.ackSeen && frame.type === FrameType.settings && (frame.flags & FrameFlag.ack) !== 0 && frame.payload.length === 0) {
      this.ackSeen = true;
      return this.verdict();
    }
    this.kept.push(frame.raw);
    if (this.authority !== null || (frame.type !== FrameType.headers && frame.type !== FrameType.continuation)) return this.verdict();
    const block = this.assembler.push(frame);
    if (block === null) return 'undecided';
    const fields = this.decoder.decode(block.fragment);
    this.authority = fields.find((field) => field.name === ':authority')?.value ?? '';
    return this.verdict();
  }

  private verdict(): Verdict {
    if (!this.ackSeen || this.authority === null) return 'undecided';
    return authorityOfUrl(this.authority) === null ? 'native' : 'rewrite';
  }
}

/** socket has sent the preface (and maybe more: opening holds all bytes read so far). */
export function routeHttp2Connection(socket: Socket, opening: Buffer, inject: (connection: Duplex) => void): void {
  const preface = opening.subarray(0, HTTP2_PREFACE_BYTES);
  const reader = new FrameReader();
  const peek = new FirstRequestPeek();
  let peekedBytes = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const ackTimer = setTimeout(() => socket.destroy(), SETTINGS_ACK_TIMEOUT_MS);
  const stop = (): void => {
    clearTimeout(ackTimer);
    clearTimeout(idleTimer);
    socket.off('data', onData);
    socket.off('close', stop);
  };
  const handOn = (verdict: Exclude<Verdict, 'undecided'>): void => {
    stop();
    const read = Buffer.concat([preface, ...peek.kept, reader.takePending()]);
    if (verdict === 'native') return inject(prefixedSocket(socket, read));
    const rewriter = new AuthorityRewriter();
    let opened: Buffer;
    try {
      opened = Buffer.concat([preface, ...rewriter.push(read.subarray(HTTP2_PREFACE_BYTES))]);
    } catch {
      return void socket.destroy();
    }
    inject(new RewritingConnection(socket, rewriter, opened));
  };
  const onData = (chunk: Buffer): void => {
    peekedBytes += chunk.length;
    let verdict: Verdict = 'undecided';
    try {
      for (const frame of reader.push(chunk)) if (verdict === 'undecided') verdict = peek.take(frame);
      else peek.kept.push(frame.raw);
    } catch {
      // A malformed frame or header block closes the connection; the server goes on.
      stop();
      return void socket.destroy();
    }
    if (verdict === 'undecided' && peekedBytes > PEEK_BYTES_MAX) verdict = 'native';
    if (verdict !== 'undecided') return handOn(verdict);
    if (peek.ackSeen && idleTimer === undefined) idleTimer = setTimeout(() => handOn('native'), FIRST_REQUEST_WAIT_MS);
  };
  socket.on('data', onData);
  socket.on('close', stop);
  socket.write(EMPTY_SETTINGS);
  onData(opening.subarray(HTTP2_PREFACE_BYTES));
}
