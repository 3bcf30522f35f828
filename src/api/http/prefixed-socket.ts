// A socket seen through a Duplex that first replays bytes already read from it.
// Node's HTTP/2 session reads a net.Socket's handle directly and would miss bytes
// pushed back with unshift(); given a plain Duplex it reads through the stream.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export function prefixedSocket(socket: Socket, prefix: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(() => callback());
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  duplex.push(prefix);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.once('end', () => duplex.push(null));
  socket.once('error', (error) => duplex.destroy(error));
  socket.once('close', () => duplex.destroy());
  // HTTP/2 asks its transport for these (logging, channelz); pass the socket's through.
  Object.assign(duplex, {
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    remoteFamily: socket.remoteFamily,
  });
  return duplex;
}
