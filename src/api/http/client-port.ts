// Everything on the client port besides the gRPC services themselves: the sockets
// (shared by gRPC and HTTP/1.1), the JSON gateway that calls back into gRPC, the
// health, version and metrics pages, and the optional --listen-metrics-urls port.
import { createServer, type Server as HttpServer } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../../log/logger.js';
import { ClientListeners, listenTarget, loopbackTarget, type ConnectionInjector } from './client-listeners.js';
import { Gateway } from './gateway-handler.js';
import type { HealthSource } from './health-endpoints.js';
import { httpRoutes, type HttpHandler } from './http-routes.js';

export interface ClientPortOptions {
  readonly clientUrls: readonly URL[];
  readonly metricsUrls: readonly URL[];
  readonly grpc: ConnectionInjector;
  readonly serves: (grpcPath: string) => boolean;
  readonly grpcReceiveLimitBytes: number;
  readonly health: HealthSource;
  readonly metrics: Registry;
  readonly logger: Logger;
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
    const listeners = await ClientListeners.open(options.clientUrls, options.grpc, (request, response) => handle(request, response));
    const first = listeners.netServers[0];
    const gateway = first === undefined ? null : new Gateway(loopbackTarget(first), options.grpcReceiveLimitBytes);
    handle = pages(gateway);
    for (const url of options.clientUrls) {
      options.logger.info('serving client traffic insecurely; this is strongly discouraged!', { address: url.toString() });
    }
    const metricsServers: HttpServer[] = [];
    try {
      for (const url of options.metricsUrls) {
        metricsServers.push(await listenMetrics(url, pages(null)));
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

function listenMetrics(url: URL, routes: HttpHandler): Promise<HttpServer> {
  const server = createServer(routes);
  return new Promise<HttpServer>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenTarget(url), () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
