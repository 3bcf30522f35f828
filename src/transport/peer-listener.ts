// Listens on the peer URLs (TCP or unix sockets) with HTTP/2, cleartext or over TLS
// for https URLs, tracks every inbound connection so close() can end them, and hands
// streams to the inbound handler (over TLS, only once the peer's certificate passed
// etcd's checks: CRL, allowed CN / host name, SAN names the dialing address).
import { lstatSync, unlinkSync } from 'node:fs';
import { createSecureServer, createServer, type Http2SecureServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { acceptedConnectionError } from '../tls/certificate-checks.js';
import { serverTlsOptions } from '../tls/secure-options.js';
import type { TlsMaterial } from '../tls/tls-material.js';
import { handleInboundStream, type InboundContext } from './inbound-handler.js';
import { boundUrl, describeAddress, type PeerAddress } from './peer-address.js';
import { PEER_HTTP2_SETTINGS, watchLiveness, widenSessionWindow } from './peer-session.js';
import { DIAL_TIMEOUT_MS, INBOUND_SESSIONS_MAX } from './transport-limits.js';

type PeerServer = Http2Server | Http2SecureServer;

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
    /** Filled and emptied by the servers' session handlers. */
    private readonly sessions: Set<ServerHttp2Session>,
    readonly boundUrls: readonly string[],
  ) {}

  /** Listens on every address or on none: a failure closes the ones already open. */
  static async open(addresses: readonly PeerAddress[], ctx: InboundContext, tls: PeerListenerTls | null = null): Promise<PeerListener> {
    const servers: PeerServer[] = [];
    const urls: string[] = [];
    const sessions = new Set<ServerHttp2Session>();
    try {
      for (const address of addresses) {
        if (address.secure && (tls?.material ?? null) === null) {
          throw new Error(`cannot listen on TLS for ${describeAddress(address)}: KeyFile and CertFile are not presented`);
        }
        const server = createPeerServer(ctx, sessions, address.secure ? tls : null);
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

function createPeerServer(ctx: InboundContext, sessions: Set<ServerHttp2Session>, tls: PeerListenerTls | null): PeerServer {
  const material = tls?.material ?? null;
  const server: PeerServer = material === null
    ? createServer({ settings: PEER_HTTP2_SETTINGS })
    : createSecureServer({ ...serverTlsOptions(material), ALPNProtocols: ['h2'], settings: PEER_HTTP2_SETTINGS, handshakeTimeout: DIAL_TIMEOUT_MS });
  server.on('connection', (socket: Socket) => {
    if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
  });
  /** Per TLS session: whether the peer's certificate passed the checks (streams wait for it). */
  const verdicts = new WeakMap<ServerHttp2Session, Promise<boolean>>();
  if (material !== null && tls !== null) {
    server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
      ctx.logger.warn('rejected connection', { 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, error: error.message });
    });
  }
  server.on('session', (session: ServerHttp2Session) => {
    if (material !== null && tls !== null) verdicts.set(session, verifyPeer(session, material, tls.checkSan, ctx));
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
  server.on('stream', (stream, headers) => {
    const verdict = verdicts.get(stream.session as ServerHttp2Session);
    if (verdict === undefined) return handleInboundStream(ctx, stream, headers);
    void verdict.then((accepted) => {
      if (accepted) handleInboundStream(ctx, stream, headers);
      else stream.close();
    });
  });
  return server;
}

async function verifyPeer(session: ServerHttp2Session, material: TlsMaterial, checkSan: boolean, ctx: InboundContext): Promise<boolean> {
  const socket = session.socket as TLSSocket;
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  const reason = await acceptedConnectionError(socket, material, checkSan);
  if (reason === undefined) return true;
  ctx.logger.warn('rejected connection', { 'remote-addr': remote, error: reason });
  session.destroy();
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
