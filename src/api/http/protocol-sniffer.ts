// One client port, two protocols, as etcd serves them: a connection that opens with
// the HTTP/2 preface is gRPC; anything else is HTTP/1.1 (JSON gateway, /health, ...).
import type { Socket } from 'node:net';

/** What every HTTP/2 client (gRPC) sends first. */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** A client that sends nothing this long after connecting is dropped. */
export const SNIFF_TIMEOUT_MS = 10_000;

export interface ProtocolTargets {
  /** Gets the socket with the preface already read (see prefixed-socket.ts). */
  grpc(socket: Socket, preface: Buffer): void;
  http(socket: Socket): void;
}

/** Reads until the first bytes decide the protocol (at most the preface's 24), pushes them back and hands the socket on. */
export function sniffProtocol(socket: Socket, targets: ProtocolTargets): void {
  let seen = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
  const stop = (): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
  };
  const onClose = (): void => stop();
  const onData = (chunk: Buffer): void => {
    seen = Buffer.concat([seen, chunk]);
    const compared = Math.min(seen.length, HTTP2_PREFACE.length);
    const matches = seen.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared));
    if (matches && seen.length < HTTP2_PREFACE.length) return;
    // Handed on in this same tick: the new owner reads the pushed-back bytes before any new ones arrive.
    stop();
    if (matches) return targets.grpc(socket, seen);
    socket.unshift(seen);
    targets.http(socket);
  };
  socket.on('data', onData);
  socket.on('close', onClose);
  socket.on('error', () => socket.destroy());
}
