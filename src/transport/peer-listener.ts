// Listens on the peer URLs (TCP or unix sockets) with cleartext HTTP/2, tracks every
// inbound connection so close() can end them, and hands streams to the inbound handler.
import { lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { handleInboundStream, type InboundContext } from './inbound-handler.js';
import { boundUrl, describeAddress, type PeerAddress } from './peer-address.js';
import { PEER_HTTP2_SETTINGS, watchLiveness, widenSessionWindow } from './peer-session.js';
import { INBOUND_SESSIONS_MAX } from './transport-limits.js';

export class PeerListener {
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly servers: readonly Http2Server[],
    /** Filled and emptied by the servers' session handlers. */
    private readonly sessions: Set<ServerHttp2Session>,
    readonly boundUrls: readonly string[],
  ) {}

  /** Listens on every address or on none: a failure closes the ones already open. */
  static async open(addresses: readonly PeerAddress[], ctx: InboundContext): Promise<PeerListener> {
    const servers: Http2Server[] = [];
    const urls: string[] = [];
    const sessions = new Set<ServerHttp2Session>();
    try {
      for (const address of addresses) {
        const server = createPeerServer(ctx, sessions);
        servers.push(server);
        urls.push(await listenOn(server, address));
      }
    } catch (error) {
      for (const session of sessions) session.destroy();
      await Promise.all(servers.map(closeServer));
      throw error;
    }
    return new PeerListener(servers, sessions, urls);
  }

  /** Stops accepting, ends every inbound connection, and resolves once all are gone. Safe twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = this.servers.map(closeServer);
      for (const session of this.sessions) session.destroy();
      await Promise.all(closed);
    })();
    return this.closing;
  }
}

function createPeerServer(ctx: InboundContext, sessions: Set<ServerHttp2Session>): Http2Server {
  const server = createServer({ settings: PEER_HTTP2_SETTINGS });
  server.on('connection', (socket: Socket) => {
    if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
  });
  server.on('session', (session: ServerHttp2Session) => {
    if (sessions.size >= INBOUND_SESSIONS_MAX) {
      ctx.logger.warn('closed an inbound peer connection: too many open', { 'max-connections': INBOUND_SESSIONS_MAX });
      session.destroy();
      return;
    }
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.on('error', (error) => ctx.logger.debug('inbound peer connection error', { error: error.message }));
    widenSessionWindow(session);
    watchLiveness(session);
  });
  // Garbage instead of an HTTP/2 preface, or a protocol violation: that connection ends, nothing else.
  server.on('sessionError', (error: Error) => ctx.logger.warn('closed an inbound peer connection after a protocol error', { error: error.message }));
  server.on('stream', (stream, headers) => handleInboundStream(ctx, stream, headers));
  return server;
}

function listenOn(server: Http2Server, address: PeerAddress): Promise<string> {
  if (address.kind === 'unix') removeStaleSocket(address.path);
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(new Error(`cannot listen for peers on ${describeAddress(address)}: ${error.message}`));
    server.once('error', onError);
    const onListening = (): void => {
      server.off('error', onError);
      resolve(boundUrl(address, server.address()));
    };
    if (address.kind === 'unix') server.listen(address.path, onListening);
    else server.listen(address.port, address.host, onListening);
  });
}

/** As etcd does, a socket file left by a previous run is replaced rather than refused. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Absent (the usual case) or unreadable: listen reports anything that matters.
  }
}

function closeServer(server: Http2Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
