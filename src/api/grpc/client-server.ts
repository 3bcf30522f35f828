// The client-facing listener: serves the etcd gRPC services, and on the same
// ports the JSON gateway, health, version and metrics (src/api/http). Graceful
// close lets in-flight calls finish within a bound; destroy cuts them.
import { ServerCredentials, type handleUnaryCall, type Server } from '@grpc/grpc-js';
import { ClientPort } from '../http/client-port.js';
import { MethodRecordingServer } from '../http/method-recording-server.js';
import { serverHealthSource } from '../http/server-health-source.js';
import { createEtcdMetrics } from '../../metrics/etcd-metrics.js';
import { instrumentHandler, type GrpcCallCounters } from '../../metrics/grpc-call-metrics.js';
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
import { serveFastPathFirst } from './grpc-stream-hook.js';
import { withSafeDecoding } from './service-definition.js';
import { UnaryFastPath, type FastUnaryMethod } from './unary-fast-path.js';
import { stopWatchStreams } from '../../watch/watch-hub-registry.js';
import { answerUnknownMethodsLikeGo } from './unknown-method.js';
import { watchServiceDefinition, watchServiceImplementation } from './watch-service.js';

/** grpc-js buffers a message before our decoder sees it; this caps that buffer well above the checked limit. */
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
    private readonly grpcServer: Server,
    private readonly port: ClientPort,
    private readonly blockingCalls: AbortController,
    private readonly server: EtcdServer,
  ) {}

  static async listen(server: EtcdServer, urls: readonly URL[], logger: Logger, options: ClientServerOptions = {}): Promise<ClientServer> {
    const maxReceiveBytes = server.limits.maxRequestBytes + GRPC_OVERHEAD_BYTES;
    const metrics = createEtcdMetrics(serverMetricsSource(server));
    const maxStreams = options.maxConcurrentStreams ?? 0;
    const grpcServer = new MethodRecordingServer({
      'grpc.max_receive_message_length': maxReceiveBytes * TRANSPORT_RECEIVE_FACTOR,
      'grpc.max_send_message_length': -1,
      // Channelz bookkeeping (timestamps and counters per message) serves a debugging service we do not expose.
      'grpc.enable_channelz': 0,
      ...(maxStreams > 0 ? { 'grpc.max_concurrent_streams': maxStreams } : {}),
    }, metrics.grpc);
    // Every service reaches the server through the auth wrapper (a pass-through while auth is off).
    const guard = new GuardedServer(new AuthGate(server.auth, server.tokens, options.clientCertAuth ?? false, () => server.readBarrier()), server, leaseKeysOf(server.lessor));
    const kvDefinition = kvServiceDefinition(maxReceiveBytes);
    const kv = kvServiceImplementation(server, logger, guard);
    grpcServer.addService(kvDefinition, kv);
    grpcServer.addService(withSafeDecoding(ClusterService, maxReceiveBytes), clusterServiceImplementation(server, logger, guard));
    // Lock, Campaign and Observe may wait without end, and a snapshot on a client that stopped
    // reading; closing ends them so a stop need not wait out its grace period.
    const blockingCalls = new AbortController();
    grpcServer.addService(maintenanceServiceDefinition(maxReceiveBytes), maintenanceServiceImplementation(server, logger, guard, blockingCalls.signal));
    grpcServer.addService(watchServiceDefinition(maxReceiveBytes), watchServiceImplementation(server, logger, guard));
    const leaseDefinition = withSafeDecoding(LeaseService, maxReceiveBytes);
    const lease = leaseServiceImplementation(server, logger, guard);
    grpcServer.addService(leaseDefinition, lease);
    grpcServer.addService(withSafeDecoding(AuthService, maxReceiveBytes), authServiceImplementation(server, logger, guard, server.bcryptCost));
    grpcServer.addService(withSafeDecoding(ElectionService, maxReceiveBytes), electionServiceImplementation(server, logger, blockingCalls.signal, guard));
    grpcServer.addService(withSafeDecoding(LockService, maxReceiveBytes), lockServiceImplementation(server, logger, blockingCalls.signal, guard));
    answerUnknownMethodsLikeGo(grpcServer);
    const injector = grpcServer.createConnectionInjector(ServerCredentials.createInsecure());
    const fastUnary = [...fastMethods(kvDefinition, kv, metrics.grpc), ...fastMethods(leaseDefinition, lease, metrics.grpc)];
    const fastPath = new UnaryFastPath(fastUnary, maxReceiveBytes * TRANSPORT_RECEIVE_FACTOR);
    if (!serveFastPathFirst(grpcServer, fastPath)) logger.warn('grpc-js internals changed: every KV and lease call goes through grpc-js (slower)');
    // One port, two protocols (as etcd): gRPC connections are sniffed out and injected here.
    const port = await ClientPort.open({
      clientUrls: urls,
      metricsUrls: options.metricsUrls ?? [],
      grpc: injector,
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
    this.grpcServer.forceShutdown();
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
        this.grpcServer.forceShutdown();
        resolve();
      }, GRACEFUL_STOP_TIMEOUT_MS);
      this.grpcServer.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return Promise.all([http, grpc]).then(() => undefined);
  }
}

interface UnaryDefinition {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestDeserialize: (bytes: Buffer) => unknown;
  readonly responseSerialize: (value: never) => Buffer;
}

/** The unary methods of a service, with the handlers and metrics grpc-js would use, for the fast path. */
function fastMethods(definition: Readonly<Record<string, UnaryDefinition>>, implementation: Record<string, unknown>, counters: GrpcCallCounters): FastUnaryMethod[] {
  const methods: FastUnaryMethod[] = [];
  for (const [name, method] of Object.entries(definition)) {
    const handler = implementation[name];
    if (method.requestStream || method.responseStream || typeof handler !== 'function') continue;
    const instrumented = instrumentHandler(counters, method, handler as handleUnaryCall<unknown, unknown>) as handleUnaryCall<unknown, unknown>;
    methods.push({ path: method.path, deserialize: method.requestDeserialize, serialize: method.responseSerialize, handler: instrumented });
  }
  return methods;
}
