// Back-pressure and fairness per client connection, in front of the unary fast path and
// grpc-js. One socket read can carry hundreds of calls: a connection starts at most a few
// per turn of the event loop and the rest wait for the next turn, so a burst from one
// client cannot hold the loop against everyone else. A connection with too many fast-path
// calls being worked on (request in, no answer yet) stops being read until they drain
// (they finish on their own, so this cannot deadlock). One with too many replies or reply
// bytes waiting on the client (it does not read, so flow control holds them), or too many
// open calls, gets new calls answered at once with etcd's "too many requests"
// (RESOURCE_EXHAUSTED) and is read only now and then, so a slow reader's WINDOW_UPDATEs
// still arrive. Without this a client that pipelines calls and never reads makes the
// server hold every request and reply it sends (etcd 3.4 does too: see
// docs/benchmarks.md, "Scale").
import { constants as http2Constants, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import { ERROR_TABLE } from '../../errors/error-table.js';

/** Calls one connection starts per turn of the event loop; the rest wait for the next turn. */
export const CALLS_STARTED_PER_TURN_MAX = 16;
/** Fast-path calls of one connection waiting to start or whose handler has not answered, before its socket stops being read. */
export const PENDING_CALLS_PER_CONNECTION_MAX = 256;
/** Calls of one connection whose reply waits on the client (still unsent RECHECK_MS after it was seen), before new ones are refused. */
export const HELD_CALLS_PER_CONNECTION_MAX = 1024;
/** Open calls of one connection in any state before new ones are refused, whatever the last check counted. */
export const OPEN_CALLS_PER_CONNECTION_MAX = 4 * HELD_CALLS_PER_CONNECTION_MAX;
/** Bytes of replies not yet sent on one connection before new calls are refused (one large range alone is let through). */
export const UNSENT_REPLY_BYTES_PER_CONNECTION_MAX = 64 * 1024 * 1024;
/** How often a connection over a bound is looked at again. */
const RECHECK_MS = 10;
/** Calls started between recounts of a connection past the held bound (a recount walks its open calls). */
const CALLS_PER_RECOUNT = 64;
/**
 * A connection whose calls are being refused stops being read at its first refusal of a
 * reading spell and is read again during one check interval in this many: often enough
 * to hear its WINDOW_UPDATEs (a slow reader still drains, twice a second), while a client
 * that pipelines calls without reading cannot keep the server busy refusing them.
 */
const REFUSING_READ_ONE_IN = 50;

interface ReadControl {
  readStop(): unknown;
  readStart(): unknown;
}

/** The native handle of the session's socket, which can stop reading; null for JS streams (the authority-rewriting path). */
function readControlOf(session: Http2Session): ReadControl | null {
  let handle: unknown;
  try {
    handle = Reflect.get(session.socket, '_handle');
  } catch {
    return null;
  }
  if (typeof handle !== 'object' || handle === null) return null;
  const control = handle as Partial<ReadControl>;
  return typeof control.readStop === 'function' && typeof control.readStart === 'function' ? (handle as ReadControl) : null;
}

/**
 * A trailers-only status, as grpc-js sends one: a few bytes, not flow controlled, and no
 * error object (a reset costs Node an Error with a stack trace per refused stream).
 */
function refuse(stream: ServerHttp2Stream): void {
  stream.on('error', () => undefined);
  // The request body, if any, is read and dropped so the stream can close.
  stream.resume();
  if (stream.destroyed || stream.closed) return;
  const refusal = ERROR_TABLE.TooManyRequests;
  stream.respond({
    [http2Constants.HTTP2_HEADER_STATUS]: http2Constants.HTTP_STATUS_OK,
    [http2Constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
    'grpc-status': String(refusal.code),
    'grpc-message': encodeURI(refusal.message),
  }, { endStream: true });
  // A reset with NO_ERROR after a complete reply tells the client to stop sending the request
  // (RFC 9113, 8.1): the stream is gone now rather than when its request body is all read,
  // which a connection read only now and then would put off while it floods on.
  stream.close(http2Constants.NGHTTP2_NO_ERROR);
}

/** Starts a call; true when the fast path took it (and it is to be counted until it closes). */
export type StartCall = () => boolean;

interface WaitingCall {
  readonly stream: ServerHttp2Stream;
  readonly start: StartCall;
}

class ConnectionCalls {
  private readonly open = new Set<ServerHttp2Stream>();
  private readonly waiting: WaitingCall[] = [];
  private startedThisTurn = 0;
  private turnScheduled = false;
  private stopped = false;
  private overBytes = false;
  private overHeld = false;
  private checks = 0;
  private sinceCheck = 0;
  /** Replies seen unsent at the last comparable check, and when. */
  private unsentSeen = new Set<ServerHttp2Stream>();
  private unsentSeenAtMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly session: Http2Session) {
    session.once('close', () => this.clearTimer());
  }

  /** New calls are answered "too many requests" while this holds. */
  get refusing(): boolean {
    return this.overHeld || this.overBytes || this.open.size + this.waiting.length >= OPEN_CALLS_PER_CONNECTION_MAX;
  }

  /** Answers "too many requests" and stops reading until the next reading spell. */
  refuse(stream: ServerHttp2Stream): void {
    refuse(stream);
    if (!this.stopped) this.setReading(false);
    if (this.timer === null) this.check();
  }

  start(stream: ServerHttp2Stream, start: StartCall): void {
    if (this.waiting.length === 0 && this.startedThisTurn < CALLS_STARTED_PER_TURN_MAX) this.run({ stream, start });
    else this.waiting.push({ stream, start });
    this.scheduleTurn();
    const calls = this.open.size + this.waiting.length;
    // Past the held bound a connection is recounted every few calls, not only every RECHECK_MS:
    // a connection that is being read can bring in a thousand calls in that time.
    const recountNow = calls >= HELD_CALLS_PER_CONNECTION_MAX && ++this.sinceCheck >= CALLS_PER_RECOUNT;
    if ((calls >= PENDING_CALLS_PER_CONNECTION_MAX && this.timer === null) || recountNow) {
      this.clearTimer();
      this.check();
    }
  }

  private run(call: WaitingCall): void {
    this.startedThisTurn++;
    const stream = call.stream;
    // A call the client gave up on while it waited is dropped unstarted.
    if (stream.destroyed || stream.closed) return;
    if (!call.start()) return;
    this.open.add(stream);
    stream.once('close', () => this.open.delete(stream));
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.startedThisTurn = 0;
      // Bounded by CALLS_STARTED_PER_TURN_MAX; the rest wait for the next turn.
      while (this.waiting.length > 0 && this.startedThisTurn < CALLS_STARTED_PER_TURN_MAX) {
        const call = this.waiting.shift();
        if (call !== undefined) this.run(call);
      }
      if (this.waiting.length > 0) this.scheduleTurn();
    });
  }

  /** Recounts, applies the bounds, and keeps checking while any call is held back. */
  private check(): void {
    this.timer = null;
    this.sinceCheck = 0;
    if (this.session.destroyed) return;
    let pendingOpen = 0;
    let unsentBytes = 0;
    let unsent = 0;
    let held = 0;
    // A reply still unsent RECHECK_MS after it was first seen waits on the client, not on a burst being written.
    const nowMs = Date.now();
    const comparable = nowMs - this.unsentSeenAtMs >= RECHECK_MS;
    const unsentNow = new Set<ServerHttp2Stream>();
    // Bounded by OPEN_CALLS_PER_CONNECTION_MAX (plus what one socket read brings in).
    for (const stream of this.open) {
      if (stream.headersSent) {
        unsent++;
        unsentBytes += stream.writableLength;
        if (!comparable) continue;
        unsentNow.add(stream);
        if (this.unsentSeen.has(stream)) held++;
        // A call whose request has not all arrived is not pending: it needs the socket read to finish.
      } else if (stream.readableEnded) pendingOpen++;
    }
    const pending = pendingOpen + this.waiting.length;
    // Pending calls finish by themselves (reading stops for them); held ones wait on the client.
    if (comparable) {
      this.unsentSeen = unsentNow;
      this.unsentSeenAtMs = nowMs;
      this.overHeld = held >= (this.overHeld ? HELD_CALLS_PER_CONNECTION_MAX / 2 : HELD_CALLS_PER_CONNECTION_MAX);
    }
    const overPending = pending >= (this.stopped ? PENDING_CALLS_PER_CONNECTION_MAX / 2 : PENDING_CALLS_PER_CONNECTION_MAX);
    const bytesMax = this.overBytes ? UNSENT_REPLY_BYTES_PER_CONNECTION_MAX / 2 : UNSENT_REPLY_BYTES_PER_CONNECTION_MAX;
    this.overBytes = unsent > 1 && unsentBytes >= bytesMax;
    this.checks++;
    const throttled = this.refusing && this.checks % REFUSING_READ_ONE_IN !== 0;
    this.setReading(!overPending && !throttled);
    if (overPending || throttled || this.open.size + this.waiting.length >= PENDING_CALLS_PER_CONNECTION_MAX) {
      this.timer = setTimeout(() => this.check(), RECHECK_MS);
      this.timer.unref();
    } else this.checks = 0;
  }

  private setReading(reading: boolean): void {
    const control = readControlOf(this.session);
    if (control === null) return;
    // Node's session may restart reading on its own after a write; stopping again is harmless.
    if (!reading) control.readStop();
    else if (this.stopped) control.readStart();
    this.stopped = !reading;
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.session.destroyed) this.unsentSeen.clear();
  }
}

export class ConnectionCallGate {
  private readonly connections = new WeakMap<Http2Session, ConnectionCalls>();

  /** Refuses the stream, starts it now, or queues it for a later turn of the event loop. */
  serve(stream: ServerHttp2Stream, start: StartCall): void {
    const session = stream.session;
    if (session === undefined) {
      start();
      return;
    }
    let calls = this.connections.get(session);
    if (calls === undefined) {
      calls = new ConnectionCalls(session);
      this.connections.set(session, calls);
    }
    if (calls.refusing) calls.refuse(stream);
    else calls.start(stream, start);
  }
}
