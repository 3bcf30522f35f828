// The stream the HTTP/2 server gets for a connection in rewriting mode: server bytes go
// to the socket untouched; client bytes go through the authority rewriter first. Only
// connections that need the rewrite pay for a JS stream; all others keep the native socket.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { AuthorityRewriter } from './authority-rewriter.js';

export class RewritingConnection extends Duplex {
  constructor(
    private readonly socket: Socket,
    private readonly rewriter: AuthorityRewriter,
    /** Bytes already read and rewritten (the preface and the first frames). */
    opening: Buffer,
  ) {
    super({ allowHalfOpen: false });
    this.push(opening);
    socket.on('data', (chunk: Buffer) => this.onClientBytes(chunk));
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (error) => this.destroy(error));
    socket.resume();
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.socket.write(Buffer.concat(chunks.map((entry) => entry.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }

  private onClientBytes(chunk: Buffer): void {
    let out: Buffer[];
    try {
      out = this.rewriter.push(chunk);
    } catch {
      // Bytes that cannot be read close the connection; the server goes on.
      this.socket.destroy();
      return;
    }
    if (out.length > 0 && !this.push(Buffer.concat(out))) this.socket.pause();
  }
}
