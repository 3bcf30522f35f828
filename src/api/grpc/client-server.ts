// The client-facing listener: serves the etcd gRPC services, and on the same
// ports the JSON gateway, health, version and metrics (src/api/http). Graceful
// close lets in-flight calls finish within a bound; destroy cuts them.
import { ClientPort } from '../http/client-port.js';
import { serverHealthSource } from '../http/server-health-source.js';
import { createEtcdMetrics } from '../../metrics/etcd-metrics.js';
import { serverMetricsSource } from '../../metrics/server-metrics-source.js';
import { AuthGate } from '../../auth/auth-gate.js';
import { GuardedServer } from '../../auth/guarded-server.js';
import { leaseKeysOf } from '../../auth/lease-keys.js';
import { authServiceImplementation } from './auth-service.js';
import { AuthService, ClusterService, LeaseService } from '../../generated/etcdserverpb/rpc.js';
import { ElectionService } from '../../generated/v3electionpb/v3election.js';
import { LockService } from '../../generated/v3lockpb/v3lock.js';
import type { Logger } from '../../log/logger.js';
import type { TlsMaterial } from '../../tls/tls-material.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { GRACEFUL_STOP_TIMEOUT_MS, GRPC_OVERHEAD_BYTES } from '../../server/server-options.js';
import { clusterServiceImplementation } from './cluster-service.js';
import { electionServiceImplementation } from './election-service.js';
import { kvServiceDefinition, kvServiceImplementation } from './kv-service.js';
import { leaseServiceImplementation } from './lease-service.js';
import { lockServiceImplementation } from './lock-service.js';
import { maintenanceServiceDefinition, maintenanceServiceImplementation } from './maintenance-service.js';
import { withSafeDecoding } from './service-definition.js';
import { stopWatchStreams } from '../../watch/watch-hub-registry.js';
import { watchServiceDefinition, watchServiceImplementation } from './watch-service.js';
import { GrpcServer } from '../h2server/grpc-server.js';

/** The transport buffers a message before our decoder sees it; this caps that buffer well above the checked limit. */
const TRANSPORT_RECEIVE_FACTOR = 2;

export interface ClientServerOptions {
  /** --listen-metrics-urls: extra plain-HTTP ports serving /metrics and /health. */
  readonly metricsUrls?: readonly URL[];
  /** --max-concurrent-streams per client connection; 0 or absent: unlimited. */
  readonly maxConcurrentStreams?: number;
  /** Certificate for https client URLs; absent or null: none. */
  readonly tls?: TlsMaterial | null;
  /** --client-cert-auth: a request without a token runs as its verified client certificate's Common Name. */
  readonly clientCertAuth?: boolean;
}

export class ClientServer {
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly grpcServer: GrpcServer,
    private readonly port: ClientPort,
    private readonly blockingCalls: AbortController,
    private readonly server: EtcdServer,
  ) {}

  static async listen(server: EtcdServer, urls: readonly URL[], logger: Logger, options: ClientServerOptions = {}): Promise<ClientServer> {
    const maxReceiveBytes = server.limits.maxRequestBytes + GRPC_OVERHEAD_BYTES;
    const metrics = createEtcdMetrics(serverMetricsSource(server));
    const maxStreams = options.maxConcurrentStreams ?? 0;
    const grpcServer = new GrpcServer({
      receiveLimitBytes: maxReceiveBytes * TRANSPORT_RECEIVE_FACTOR,
      maxConcurrentStreams: maxStreams > 0 ? maxStreams : null,
      counters: metrics.grpc,
    });
    server.countClientCallsWith(() => grpcServer.pendingUnaryCalls);
    // Every service reaches the server through the auth wrapper (a pass-through while auth is off).
    const guard = new GuardedServer(new AuthGate(server.auth, server.tokens, options.clientCertAuth ?? false, () => server.readBarrier()), server, leaseKeysOf(server.lessor));
    grpcServer.addService(kvServiceDefinition(maxReceiveBytes), kvServiceImplementation(server, logger, guard));
    grpcServer.addService(withSafeDecoding(ClusterService, maxReceiveBytes), clusterServiceImplementation(server, logger, guard));
    // Lock, Campaign and Observe may wait without end, and a snapshot on a client that stopped
    // reading; closing ends them so a stop need not wait out its grace period.
    const blockingCalls = new AbortController();
    grpcServer.addService(maintenanceServiceDefinition(maxReceiveBytes), maintenanceServiceImplementation(server, logger, guard, blockingCalls.signal));
    grpcServer.addService(watchServiceDefinition(maxReceiveBytes), watchServiceImplementation(server, logger, guard));
    grpcServer.addService(withSafeDecoding(LeaseService, maxReceiveBytes), leaseServiceImplementation(server, logger, guard));
    grpcServer.addService(withSafeDecoding(AuthService, maxReceiveBytes), authServiceImplementation(server, logger, guard, server.bcryptCost));
    grpcServer.addService(withSafeDecoding(ElectionService, maxReceiveBytes), electionServiceImplementation(server, logger, blockingCalls.signal, guard));
    grpcServer.addService(withSafeDecoding(LockService, maxReceiveBytes), lockServiceImplementation(server, logger, blockingCalls.signal, guard));
    // One port, two protocols (as etcd): gRPC connections are sniffed out and injected here.
    const port = await ClientPort.open({
      clientUrls: urls,
      metricsUrls: options.metricsUrls ?? [],
      grpc: grpcServer,
      serves: (path) => grpcServer.serves(path),
      grpcReceiveLimitBytes: maxReceiveBytes,
      health: serverHealthSource(server),
      metrics: metrics.registry,
      logger,
      tls: options.tls ?? null,
    });
    return new ClientServer(grpcServer, port, blockingCalls, server);
  }

  /** Stops accepting calls and waits (bounded) for in-flight ones; safe to call twice. */
  close(): Promise<void> {
    if (this.closed === null) this.closed = this.shutdown();
    return this.closed;
  }

  /** Cuts every call at once. */
  destroy(): void {
    this.blockingCalls.abort();
    this.grpcServer.destroy();
    this.port.destroy();
  }

  private shutdown(): Promise<void> {
    this.blockingCalls.abort();
    // Watch streams never end by themselves: end them with UNAVAILABLE "server stopped",
    // which clients retry elsewhere, rather than a CANCELLED cut after the grace period.
    stopWatchStreams(this.server);
    const http = this.port.close(GRACEFUL_STOP_TIMEOUT_MS);
    const grpc = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.grpcServer.destroy();
        resolve();
      }, GRACEFUL_STOP_TIMEOUT_MS);
      void this.grpcServer.shutdown().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return Promise.all([http, grpc]).then(() => undefined);
  }
}
