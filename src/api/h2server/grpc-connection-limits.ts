// Back-pressure and fairness for one client connection. One socket read can carry
// hundreds of calls: a connection starts at most a few per turn of the event loop and
// the rest wait for the next turn, so one client's burst cannot hold the loop against
// everyone else. With too many unary calls waiting for their answer the connection
// stops being read until they drain (they finish on their own). With too many replies
// or reply bytes held back by the client (it does not read, so flow control holds
// them), or too many open calls, new calls are answered at once with etcd's "too many
// requests"; a client that does not read even those fills the socket, and a full
// socket stops the connection being read (see h2-connection.ts). Without this a client
// that pipelines calls and never reads makes the server hold every request and reply
// (etcd 3.4 does: see docs/benchmarks.md, "Scale").
import type { CallStarter } from './grpc-call-start.js';
import { ReadPause, type H2Connection } from './h2-connection.js';

/** Calls one connection starts per turn of the event loop; the rest wait for the next turn. */
export const CALLS_STARTED_PER_TURN_MAX = 16;
/** Unary calls of one connection waiting to start or for their answer, before its socket stops being read. */
export const PENDING_CALLS_PER_CONNECTION_MAX = 256;
/** Calls of one connection whose reply waits on the client, before new ones are refused. */
export const HELD_CALLS_PER_CONNECTION_MAX = 1024;
/** Open calls of one connection in any state before new ones are refused. */
export const OPEN_CALLS_PER_CONNECTION_MAX = 4 * HELD_CALLS_PER_CONNECTION_MAX;
/** Bytes of replies held back by the client before new calls are refused (one large range alone is let through). */
export const UNSENT_REPLY_BYTES_PER_CONNECTION_MAX = 64 * 1024 * 1024;

/** Unary calls waiting to start or for their answer, summed over a server's connections. */
export class PendingCallCount {
  value = 0;
}

export class ConnectionLimits implements CallStarter {
  private readonly waiting: Array<() => void> = [];
  private startedThisTurn = 0;
  private turnScheduled = false;
  private pendingCalls = 0;

  constructor(
    private readonly connection: H2Connection,
    private readonly serverPending: PendingCallCount,
  ) {}

  /** New calls are answered "too many requests" while this holds. */
  get refusing(): boolean {
    const connection = this.connection;
    const held = connection.waitingStreamCount;
    return connection.streams.size >= OPEN_CALLS_PER_CONNECTION_MAX
      || held >= HELD_CALLS_PER_CONNECTION_MAX
      || (held > 1 && connection.queuedBytes >= UNSENT_REPLY_BYTES_PER_CONNECTION_MAX);
  }

  start(run: () => void, pending: boolean): void {
    if (pending) {
      this.serverPending.value++;
      if (++this.pendingCalls >= PENDING_CALLS_PER_CONNECTION_MAX) this.connection.pauseReading(ReadPause.calls);
    }
    if (this.waiting.length === 0 && this.startedThisTurn < CALLS_STARTED_PER_TURN_MAX) {
      this.startedThisTurn++;
      run();
    } else this.waiting.push(run);
    this.scheduleTurn();
  }

  finished(): void {
    this.serverPending.value--;
    this.pendingCalls--;
    if (this.pendingCalls <= PENDING_CALLS_PER_CONNECTION_MAX / 2) this.connection.resumeReading(ReadPause.calls);
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.startedThisTurn = 0;
      // Bounded by CALLS_STARTED_PER_TURN_MAX; the rest wait for the next turn.
      while (this.waiting.length > 0 && this.startedThisTurn < CALLS_STARTED_PER_TURN_MAX) {
        this.startedThisTurn++;
        this.waiting.shift()?.();
      }
      if (this.waiting.length > 0) this.scheduleTurn();
    });
  }
}
