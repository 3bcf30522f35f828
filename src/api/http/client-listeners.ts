// The sockets of the client port(s): one net.Server per --listen-client-urls
// address, each connection sniffed and handed to gRPC (HTTP/2) or to the HTTP/1.1
// server. https URLs terminate TLS first and route by ALPN, handing the TLSSocket
// itself on (gRPC's auth context and the gateway read the client certificate from it).
// Closing stops accepting, lets HTTP requests in flight finish within a bound, then
// cuts what is left.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../../log/logger.js';
import { certificateError } from '../../tls/certificate-checks.js';
import { serverTlsOptions } from '../../tls/secure-options.js';
import type { TlsMaterial } from '../../tls/tls-material.js';
import { SNIFF_TIMEOUT_MS, sniffProtocol } from './protocol-sniffer.js';

/** Takes a gRPC (HTTP/2) connection whose first bytes, the client preface and maybe more, were already read. */
export interface ConnectionInjector {
  acceptConnection(socket: Socket, opening: Buffer): void;
}

/** https and unixs URLs are served with TLS. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'unixs:';
}

/** What the listeners of https URLs serve with; null: no client certificate configured. */
export interface ClientTls {
  readonly material: TlsMaterial | null;
  readonly logger: Logger;
}

/** Where to listen for one URL: a TCP host and port, or a unix socket path. */
export function listenTarget(url: URL): { readonly path: string } | { readonly host: string; readonly port: number } {
  if (url.protocol === 'unix:' || url.protocol === 'unixs:') return { path: `${url.host}${url.pathname}` };
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port === '' ? 2379 : Number(url.port) };
}

/** A gRPC target that reaches a listener from this process (a wildcard address is dialled on loopback). */
export function loopbackTarget(server: NetServer): string {
  const address = server.address();
  if (typeof address === 'string') return `unix:${address}`;
  const info = address as AddressInfo;
  if (info.family === 'IPv6') return `[${info.address === '::' ? '::1' : info.address}]:${info.port}`;
  return `${info.address === '0.0.0.0' ? '127.0.0.1' : info.address}:${info.port}`;
}

export class ClientListeners {
  private readonly httpSockets = new Set<Socket>();
  /** Requests in flight per HTTP connection. */
  private readonly busySockets = new Map<Socket, number>();
  private closing = false;
  private drained: (() => void) | null = null;

  private readonly servers: NetServer[] = [];

  private constructor(private readonly httpServer: HttpServer) {}

  get netServers(): readonly NetServer[] {
    return this.servers;
  }

  static async open(
    urls: readonly URL[],
    grpc: ConnectionInjector,
    handle: (request: IncomingMessage, response: ServerResponse) => void,
    tls: ClientTls | null = null,
  ): Promise<ClientListeners> {
    const httpServer = createHttpServer();
    const listeners = new ClientListeners(httpServer);
    httpServer.on('request', (request: IncomingMessage, response: ServerResponse) => listeners.track(request, response, handle));
    try {
      for (const url of urls) {
        const material = tls?.material ?? null;
        if (isSecureUrl(url) && (material === null || tls === null)) {
          // The configuration checks say so first; this guards the embedded and library paths.
          throw new Error(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${url.href.replace(/\/$/, '')} with HTTPS scheme`);
        }
        const server = !isSecureUrl(url) || material === null || tls === null
          ? await listenOne(createNetServer({ pauseOnConnect: false, noDelay: true }, (socket) => listeners.accept(socket, grpc)), url)
          : await listenOne(listeners.createSecureServer(material, grpc, tls.logger), url);
        listeners.servers.push(server);
      }
    } catch (error) {
      await Promise.all(listeners.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      throw error;
    }
    return listeners;
  }

  /** Stops accepting and waits up to graceMs for HTTP requests in flight; then cuts every HTTP connection. */
  async close(graceMs: number): Promise<void> {
    // Stop accepting only: close()'s callback would also wait for every gRPC connection, which gRPC's own shutdown ends.
    for (const server of this.servers) server.close();
    this.closing = true;
    for (const socket of this.httpSockets) if (!this.busySockets.has(socket)) socket.destroy();
    if (this.busySockets.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    this.destroy();
  }

  destroy(): void {
    for (const server of this.servers) server.close();
    for (const socket of this.httpSockets) socket.destroy();
    this.httpSockets.clear();
  }

  private accept(socket: Socket, grpc: ConnectionInjector): void {
    sniffProtocol(socket, {
      grpc: (sniffed, opening) => grpc.acceptConnection(sniffed, opening),
      http: (sniffed) => this.serveHttp(sniffed),
    });
  }

  private serveHttp(socket: Socket): void {
    this.httpSockets.add(socket);
    socket.once('close', () => this.httpSockets.delete(socket));
    this.httpServer.emit('connection', socket);
    socket.resume();
  }

  private createSecureServer(material: TlsMaterial, grpc: ConnectionInjector, logger: Logger): NetServer {
    const server = createTlsServer({
      ...serverTlsOptions(material),
      noDelay: true,
      // A client that never finishes its handshake is dropped as one that never speaks.
      handshakeTimeout: SNIFF_TIMEOUT_MS,
      // gRPC clients offer only h2; anyone who also offers http/1.1 (curl, browsers, Python's
      // requests) gets it, so the JSON gateway answers them rather than gRPC.
      ALPNCallback: ({ protocols }) => (protocols.includes('http/1.1') ? 'http/1.1' : protocols.includes('h2') ? 'h2' : undefined),
    });
    // Checked and handed on in the same tick, before the socket reads anything the new owner should see.
    server.on('secureConnection', (socket: TLSSocket) => {
      const reason = certificateError(socket, material);
      if (reason === undefined) return this.acceptSecure(socket, grpc);
      logger.warn('rejected connection', { 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, error: reason });
      socket.destroy();
    });
    server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
      logger.warn('rejected connection', { 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, error: error.message });
    });
    return server;
  }

  private acceptSecure(socket: TLSSocket, grpc: ConnectionInjector): void {
    if (socket.alpnProtocol === 'http/1.1') return this.serveHttp(socket);
    // h2 too goes through the sniffer, which reads the client preface.
    // No ALPN: the protocols are told apart by their first bytes, as on a plaintext port.
    this.accept(socket, grpc);
  }

  private track(request: IncomingMessage, response: ServerResponse, handle: (request: IncomingMessage, response: ServerResponse) => void): void {
    const socket = request.socket;
    this.busySockets.set(socket, (this.busySockets.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (this.busySockets.get(socket) ?? 1) - 1;
      if (left > 0) this.busySockets.set(socket, left);
      else this.busySockets.delete(socket);
      if (!this.closing) return;
      // A keep-alive connection would otherwise hold the stop until its idle timeout.
      if (left <= 0) socket.end();
      if (this.busySockets.size === 0 && this.drained !== null) this.drained();
    });
    handle(request, response);
  }
}

// Servers are made with noDelay: small gRPC responses must not wait for Nagle (grpc-js
// sets it on sockets it accepts itself; these it receives from us).
function listenOne(server: NetServer, url: URL): Promise<NetServer> {
  return new Promise<NetServer>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenTarget(url), () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
