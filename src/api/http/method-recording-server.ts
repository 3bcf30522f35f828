// A grpc-js Server that remembers which methods it serves (so the JSON gateway
// routes only to registered ones) and counts every call for grpc_server_* metrics.
import { Server, type ServerOptions, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { instrumentHandler, type GrpcCallCounters } from '../../metrics/grpc-call-metrics.js';

export class MethodRecordingServer extends Server {
  private readonly methodPaths = new Set<string>();

  constructor(
    options: ServerOptions,
    private readonly counters: GrpcCallCounters | null,
  ) {
    super(options);
  }

  override addService(service: ServiceDefinition, implementation: UntypedServiceImplementation): void {
    const instrumented: UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(service)) {
      this.methodPaths.add(method.path);
      const handler = implementation[name];
      if (handler === undefined) continue;
      instrumented[name] = this.counters === null ? handler : instrumentHandler(this.counters, method, handler);
    }
    super.addService(service, instrumented);
  }

  /** Whether a method (by its gRPC path, e.g. "/etcdserverpb.KV/Range") is served. */
  serves(path: string): boolean {
    return this.methodPaths.has(path);
  }
}
