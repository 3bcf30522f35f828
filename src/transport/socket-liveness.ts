// Keeps a message stream connection provably alive without touching the hot path:
// each end writes an empty frame when it has written nothing for a ping interval,
// and destroys the connection when nothing at all arrived for the ping timeout (a
// peer whose machine vanished never sends a FIN). Progress is read from the socket's
// own byte counters once per interval.
import type { Socket } from 'node:net';
import { FRAME_HEADER_BYTES } from './wire-protocol.js';
import { PING_INTERVAL_MS, PING_TIMEOUT_MS } from './transport-limits.js';

/** A frame of length zero: carries nothing, proves the writer alive. */
const KEEPALIVE_FRAME = Buffer.alloc(FRAME_HEADER_BYTES);

/** Why a connection that went silent is closed, as logged by whoever owns it. */
export const SILENT_PEER_REASON = `peer sent nothing for ${PING_TIMEOUT_MS} ms`;

/**
 * Starts the keep-alive for `socket` until it closes. `mayWrite` says whether an
 * empty frame may be written now (not before the preface, not after refusing).
 */
export function keepSocketAlive(socket: Socket, mayWrite: () => boolean): void {
  let lastRead = socket.bytesRead;
  let lastWritten = socket.bytesWritten;
  let silentSinceMs = performance.now();
  const timer = setInterval(() => {
    if (socket.destroyed) return;
    const nowMs = performance.now();
    if (socket.bytesRead !== lastRead) {
      lastRead = socket.bytesRead;
      silentSinceMs = nowMs;
    } else if (nowMs - silentSinceMs >= PING_TIMEOUT_MS) {
      socket.destroy(new Error(SILENT_PEER_REASON));
      return;
    }
    if (socket.bytesWritten === lastWritten && mayWrite() && socket.writableLength === 0) socket.write(KEEPALIVE_FRAME);
    lastWritten = socket.bytesWritten;
  }, PING_INTERVAL_MS);
  // The socket keeps the process alive while it matters; the timer must not.
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}
