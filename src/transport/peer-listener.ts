// Listens on the peer URLs (TCP or unix sockets), cleartext or over TLS for https
// URLs, tracks every inbound connection so close() can end them, and sorts each
// connection by its first bytes: a message stream preface goes to the message stream
// reader, anything else to an HTTP/2 server that never listens itself (snapshots,
// member list, HashKV). Over TLS a connection is read only once the peer's certificate
// passed etcd's checks (CRL, allowed CN / host name, SAN names the dialing address).
import { lstatSync, unlinkSync } from 'node:fs';
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { acceptedConnectionError } from '../tls/certificate-checks.js';
import { serverTlsOptions } from '../tls/secure-options.js';
import type { TlsMaterial } from '../tls/tls-material.js';
import { handleInboundStream, type InboundContext } from './inbound-handler.js';
import { serveMessageStream } from './inbound-message-stream.js';
import { MESSAGE_STREAM_ALPN, PREFACE_MAGIC } from './message-stream-preface.js';
import { boundUrl, describeAddress, type PeerAddress } from './peer-address.js';
import { PEER_HTTP2_SETTINGS, watchLiveness, widenSessionWindow } from './peer-session.js';
import { DIAL_TIMEOUT_MS, INBOUND_SESSIONS_MAX } from './transport-limits.js';

type PeerServer = NetServer | TlsServer;

/** What https peer URLs are served with. */
export interface PeerListenerTls {
  readonly material: TlsMaterial | null;
  /** etcd's check that a client certificate names the address it connects from. */
  readonly checkSan: boolean;
}

export class PeerListener {
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly servers: readonly PeerServer[],
    /** Every accepted TCP or unix connection, filled and emptied by the servers' handlers. */
    private readonly sockets: Set<Socket>,
    readonly boundUrls: readonly string[],
  ) {}

  /** Listens on every address or on none: a failure closes the ones already open. */
  static async open(addresses: readonly PeerAddress[], ctx: InboundContext, tls: PeerListenerTls | null = null): Promise<PeerListener> {
    const servers: PeerServer[] = [];
    const urls: string[] = [];
    const sockets = new Set<Socket>();
    const http2 = createHttp2Server({ settings: PEER_HTTP2_SETTINGS });
    serveHttp2(http2, ctx);
    try {
      for (const address of addresses) {
        if (address.secure && (tls?.material ?? null) === null) {
          throw new Error(`cannot listen on TLS for ${describeAddress(address)}: KeyFile and CertFile are not presented`);
        }
        const server = createPeerServer(ctx, sockets, http2, address.secure ? tls : null);
        servers.push(server);
        urls.push(await listenOn(server, address));
      }
    } catch (error) {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map(closeServer));
      throw error;
    }
    return new PeerListener(servers, sockets, urls);
  }

  /** Stops accepting, ends every inbound connection, and resolves once all are gone. Safe twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = this.servers.map(closeServer);
      for (const socket of this.sockets) socket.destroy();
      await Promise.all(closed);
    })();
    return this.closing;
  }
}

/** The HTTP/2 side: its sessions arrive as connections handed over by sortConnection. */
function serveHttp2(server: Http2Server, ctx: InboundContext): void {
  server.on('session', (session: ServerHttp2Session) => {
    session.on('error', (error) => ctx.logger.debug('inbound peer connection error', { error: error.message }));
    widenSessionWindow(session);
    watchLiveness(session);
  });
  // Garbage instead of an HTTP/2 preface, or a protocol violation: that connection ends, nothing else.
  server.on('sessionError', (error: Error) => ctx.logger.warn('closed an inbound peer connection after a protocol error', { error: error.message }));
  server.on('stream', (stream, headers) => handleInboundStream(ctx, stream, headers));
}

function createPeerServer(ctx: InboundContext, sockets: Set<Socket>, http2: Http2Server, tls: PeerListenerTls | null): PeerServer {
  const material = tls?.material ?? null;
  const server: PeerServer = material === null
    ? createNetServer()
    : createTlsServer({ ...serverTlsOptions(material), ALPNProtocols: ['h2', MESSAGE_STREAM_ALPN], handshakeTimeout: DIAL_TIMEOUT_MS });
  server.on('connection', (socket: Socket) => {
    if (sockets.size >= INBOUND_SESSIONS_MAX) {
      ctx.logger.warn('closed an inbound peer connection: too many open', { 'max-connections': INBOUND_SESSIONS_MAX });
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', (error) => ctx.logger.debug('inbound peer connection error', { error: error.message }));
    if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    if (material === null) sortConnection(ctx, socket, http2);
  });
  if (material !== null && tls !== null) {
    server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
      ctx.logger.warn('rejected connection', { 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, error: error.message });
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      socket.on('error', (error) => ctx.logger.debug('inbound peer connection error', { error: error.message }));
      void verifyPeer(socket, material, tls.checkSan, ctx).then((accepted) => {
        if (accepted) sortConnection(ctx, socket, http2);
      });
    });
  }
  return server;
}

/** Reads the first bytes and hands the connection to whichever protocol they begin. */
function sortConnection(ctx: InboundContext, socket: Socket, http2: Http2Server): void {
  // A connection that says nothing is not kept waiting for ever.
  socket.setTimeout(DIAL_TIMEOUT_MS, () => socket.destroy());
  socket.once('data', (chunk: Buffer) => {
    socket.setTimeout(0);
    if (chunk[0] === PREFACE_MAGIC[0]) {
      serveMessageStream(ctx, socket, chunk);
      return;
    }
    socket.pause();
    socket.unshift(chunk);
    http2.emit('connection', socket);
  });
}

async function verifyPeer(socket: TLSSocket, material: TlsMaterial, checkSan: boolean, ctx: InboundContext): Promise<boolean> {
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  const reason = await acceptedConnectionError(socket, material, checkSan);
  if (reason === undefined) return true;
  ctx.logger.warn('rejected connection', { 'remote-addr': remote, error: reason });
  socket.destroy();
  return false;
}

function listenOn(server: PeerServer, address: PeerAddress): Promise<string> {
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

function closeServer(server: PeerServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
