// Everything on the client port besides the gRPC services themselves: the sockets
// (shared by gRPC and HTTP/1.1), the JSON gateway that calls back into gRPC, the
// health, version and metrics pages, and the optional --listen-metrics-urls port.
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { createServer, type Server as PlainHttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Server as NetServer } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../log/logger.js';
import { serverTlsOptions } from '../../tls/secure-options.js';
import type { TlsMaterial } from '../../tls/tls-material.js';
import { ClientListeners, isSecureUrl, listenTarget, loopbackTarget, type ConnectionInjector } from './client-listeners.js';
import { Gateway } from './gateway-handler.js';
import type { HealthSource } from './health-endpoints.js';
import { httpRoutes, type HttpHandler } from './http-routes.js';

type HttpServer = PlainHttpServer | HttpsServer;

export interface ClientPortOptions {
  readonly clientUrls: readonly URL[];
  readonly metricsUrls: readonly URL[];
  readonly grpc: ConnectionInjector;
  readonly serves: (grpcPath: string) => boolean;
  readonly grpcReceiveLimitBytes: number;
  readonly health: HealthSource;
  readonly metrics: Registry;
  readonly logger: Logger;
  /** Certificate for https client URLs (--cert-file/--key-file or --auto-tls); null: none. */
  readonly tls?: TlsMaterial | null;
}

export class ClientPort {
  private constructor(
    private readonly listeners: ClientListeners,
    private readonly gateway: Gateway | null,
    private readonly metricsServers: readonly HttpServer[],
  ) {}

  static async open(options: ClientPortOptions): Promise<ClientPort> {
    const pages = (gateway: Gateway | null): HttpHandler =>
      httpRoutes({ gateway, serves: options.serves, health: options.health, metrics: options.metrics, logger: options.logger });
    // The gateway dials the port it serves on, so it exists only once the port is bound;
    // until then (no request can have arrived) the pages are served without it.
    let handle = pages(null);
    const tls = options.tls ?? null;
    const listeners = await ClientListeners.open(
      options.clientUrls, options.grpc, (request, response) => handle(request, response), { material: tls, logger: options.logger },
    );
    const dial = gatewayDial(options.clientUrls, listeners.netServers, tls);
    const gateway = dial === null ? null : new Gateway(dial.target, options.grpcReceiveLimitBytes, dial.credentials);
    handle = pages(gateway);
    logClientUrls(options.clientUrls, tls, options.logger);
    const metricsServers: HttpServer[] = [];
    try {
      for (const url of options.metricsUrls) {
        metricsServers.push(await listenMetrics(url, pages(null), tls));
        options.logger.info('serving metrics', { address: url.toString() });
      }
    } catch (error) {
      listeners.destroy();
      gateway?.close();
      metricsServers.forEach((server) => server.close());
      throw error;
    }
    return new ClientPort(listeners, gateway, metricsServers);
  }

  /** Stops accepting, gives HTTP requests in flight up to graceMs, then closes the rest. */
  async close(graceMs: number): Promise<void> {
    for (const server of this.metricsServers) {
      server.close();
      server.closeAllConnections();
    }
    await this.listeners.close(graceMs);
    this.gateway?.close();
  }

  destroy(): void {
    for (const server of this.metricsServers) {
      server.close();
      server.closeAllConnections();
    }
    this.listeners.destroy();
    this.gateway?.close();
  }
}

/**
 * The gateway dials its own port: a plaintext one when there is one; otherwise an https one,
 * presenting the server's certificate as etcd does, without checking the server's (it is ours).
 */
function gatewayDial(
  urls: readonly URL[], servers: readonly NetServer[], tls: TlsMaterial | null,
): { readonly target: string; readonly credentials: ChannelCredentials } | null {
  const plainIndex = urls.findIndex((url) => !isSecureUrl(url));
  const index = plainIndex >= 0 ? plainIndex : 0;
  const server = servers[index];
  if (server === undefined) return null;
  if (plainIndex >= 0 || tls === null) return { target: loopbackTarget(server), credentials: credentials.createInsecure() };
  return { target: loopbackTarget(server), credentials: credentials.createSsl(tls.ca, tls.key, tls.cert, { rejectUnauthorized: false }) };
}

function logClientUrls(urls: readonly URL[], tls: TlsMaterial | null, logger: Logger): void {
  for (const url of urls) {
    if (isSecureUrl(url)) {
      logger.info('serving client traffic securely', { address: url.toString() });
      continue;
    }
    if (tls !== null && !tls.selfSigned) {
      logger.warn('scheme is HTTP while key and cert files are present; ignoring key and cert files', { 'client-url': url.toString() });
    }
    if (tls?.requireClientCert === true) {
      logger.warn('scheme is HTTP while --client-cert-auth is enabled; ignoring client cert auth for this URL', { 'client-url': url.toString() });
    }
    logger.info('serving client traffic insecurely; this is strongly discouraged!', { address: url.toString() });
  }
}

/** https metrics URLs are served with the client certificate, as etcd serves them. */
function listenMetrics(url: URL, routes: HttpHandler, tls: TlsMaterial | null): Promise<HttpServer> {
  if (isSecureUrl(url) && tls === null) {
    return Promise.reject(new Error(`cannot listen on TLS for ${url.host}: KeyFile and CertFile are not presented`));
  }
  const server: HttpServer = isSecureUrl(url) && tls !== null ? createHttpsServer(serverTlsOptions(tls), routes) : createServer(routes);
  return new Promise<HttpServer>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenTarget(url), () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
