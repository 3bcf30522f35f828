// Gives a sniffed socket back its first bytes before it goes to HTTP/2.
// Node's HTTP/2 session takes over the socket's native handle (so frames are written
// with the handle's own writev, not through a JS stream) and, on the next tick, replays
// whatever is still buffered in the socket's readable side. The sniffed bytes are put
// back there, with the socket paused so that no one else reads them first; pausing a
// plain socket only stops 'data' events, the handle keeps reading for the new owner.
// (A JS Duplex wrapper here cost a write syscall per frame: ~40% of the server's CPU.)
import type { Socket } from 'node:net';

export function prefixedSocket(socket: Socket, prefix: Buffer): Socket {
  socket.pause();
  socket.unshift(prefix);
  return socket;
}
