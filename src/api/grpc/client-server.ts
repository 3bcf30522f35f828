// The client-facing gRPC listener: binds every --listen-client-urls address and
// serves the etcd services there. Graceful close lets in-flight calls finish
// within a bound; destroy cuts them.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ClusterService, KVService, LeaseService, MaintenanceService, WatchService } from '../../generated/etcdserverpb/rpc.js';
import { ElectionService } from '../../generated/v3electionpb/v3election.js';
import { LockService } from '../../generated/v3lockpb/v3lock.js';
import type { Logger } from '../../log/logger.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { GRACEFUL_STOP_TIMEOUT_MS, GRPC_OVERHEAD_BYTES } from '../../server/server-options.js';
import { clusterServiceImplementation } from './cluster-service.js';
import { electionServiceImplementation } from './election-service.js';
import { kvServiceImplementation } from './kv-service.js';
import { leaseServiceImplementation } from './lease-service.js';
import { lockServiceImplementation } from './lock-service.js';
import { maintenanceServiceImplementation } from './maintenance-service.js';
import { withSafeDecoding } from './service-definition.js';
import { stopWatchStreams } from '../../watch/watch-hub-registry.js';
import { answerUnknownMethodsLikeGo } from './unknown-method.js';
import { watchServiceImplementation } from './watch-service.js';

/** grpc-js buffers a message before our decoder sees it; this caps that buffer well above the checked limit. */
const TRANSPORT_RECEIVE_FACTOR = 2;

export function grpcBindAddress(url: URL): string {
  if (url.protocol === 'unix:' || url.protocol === 'unixs:') return `unix:${url.host}${url.pathname}`;
  return url.host;
}

export class ClientServer {
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly grpcServer: Server,
    readonly boundAddresses: readonly string[],
    private readonly blockingCalls: AbortController,
    private readonly server: EtcdServer,
  ) {}

  static async listen(server: EtcdServer, urls: readonly URL[], logger: Logger): Promise<ClientServer> {
    const maxReceiveBytes = server.limits.maxRequestBytes + GRPC_OVERHEAD_BYTES;
    const grpcServer = new Server({
      'grpc.max_receive_message_length': maxReceiveBytes * TRANSPORT_RECEIVE_FACTOR,
      'grpc.max_send_message_length': -1,
    });
    grpcServer.addService(withSafeDecoding(KVService, maxReceiveBytes), kvServiceImplementation(server, logger));
    grpcServer.addService(withSafeDecoding(ClusterService, maxReceiveBytes), clusterServiceImplementation(server, logger));
    grpcServer.addService(withSafeDecoding(MaintenanceService, maxReceiveBytes), maintenanceServiceImplementation(server, logger));
    grpcServer.addService(withSafeDecoding(WatchService, maxReceiveBytes), watchServiceImplementation(server, logger));
    grpcServer.addService(withSafeDecoding(LeaseService, maxReceiveBytes), leaseServiceImplementation(server, logger));
    // Lock, Campaign and Observe may wait without end; closing ends them so a stop need not wait out its grace period.
    const blockingCalls = new AbortController();
    grpcServer.addService(withSafeDecoding(ElectionService, maxReceiveBytes), electionServiceImplementation(server, logger, blockingCalls.signal));
    grpcServer.addService(withSafeDecoding(LockService, maxReceiveBytes), lockServiceImplementation(server, logger, blockingCalls.signal));
    answerUnknownMethodsLikeGo(grpcServer);
    const bound: string[] = [];
    for (const url of urls) {
      const address = grpcBindAddress(url);
      await new Promise<void>((resolve, reject) => {
        grpcServer.bindAsync(address, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve()));
      });
      bound.push(address);
      logger.info('serving client traffic insecurely; this is strongly discouraged!', { address: url.toString() });
    }
    return new ClientServer(grpcServer, bound, blockingCalls, server);
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
  }

  private shutdown(): Promise<void> {
    this.blockingCalls.abort();
    // Watch streams never end by themselves: end them with UNAVAILABLE "server stopped",
    // which clients retry elsewhere, rather than a CANCELLED cut after the grace period.
    stopWatchStreams(this.server);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.grpcServer.forceShutdown();
        resolve();
      }, GRACEFUL_STOP_TIMEOUT_MS);
      this.grpcServer.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
