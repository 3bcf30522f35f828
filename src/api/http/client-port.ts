// Everything on the client port besides the gRPC services themselves: the sockets
// (shared by gRPC and HTTP/1.1), the JSON gateway that calls back into gRPC, the
// health, version and metrics pages, and the optional --listen-metrics-urls port.
import { createServer, type Server as HttpServer } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../../log/logger.js';
import { ClientListeners, listenTarget, loopbackTarget, type ConnectionInjector } from './client-listeners.js';
import { Gateway } from './gateway-handler.js';
import type { HealthSource } from './health-endpoints.js';
import { httpRoutes } from './http-routes.js';

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
    let gateway: Gateway | null = null;
    const routes = httpRoutes({
      gateway: null,
      serves: options.serves,
      health: options.health,
      metrics: options.metrics,
      logger: options.logger,
    });
    const gatewayRoutes = (gatewayRef: Gateway): ReturnType<typeof httpRoutes> =>
      httpRoutes({ gateway: gatewayRef, serves: options.serves, health: options.health, metrics: options.metrics, logger: options.logger });
    let handle = routes;
    const listeners = await ClientListeners.open(options.clientUrls, options.grpc, (request, response) => handle(request, response));
    const first = listeners.netServers[0];
    if (first !== undefined) {
      gateway = new Gateway(loopbackTarget(first), options.grpcReceiveLimitBytes);
      handle = gatewayRoutes(gateway);
    }
    for (const url of options.clientUrls) {
      options.logger.info('serving client traffic insecurely; this is strongly discouraged!', { address: url.toString() });
    }
    const metricsServers: HttpServer[] = [];
    try {
      for (const url of options.metricsUrls) metricsServers.push(await listenMetrics(url, routes));
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

function listenMetrics(url: URL, routes: ReturnType<typeof httpRoutes>): Promise<HttpServer> {
  const server = createServer(routes);
  return new Promise<HttpServer>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenTarget(url), () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
