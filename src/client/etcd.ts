// The client's entry point: `new Etcd({ endpoints })` owns the connections and hands
// out the KV, Watch, Lease, Cluster, Maintenance and Auth APIs.
import { AuthClient } from './auth-client.js';
import type { Bytes } from './bytes.js';
import { CALL_TIMEOUT_MS_DEFAULT, DIAL_TIMEOUT_MS_DEFAULT, type EtcdOptions } from './client-options.js';
import { ClusterClient } from './cluster-client.js';
import { EndpointPool } from './endpoint-pool.js';
import { KvClient } from './kv-client.js';
import { LeaseClient } from './lease-client.js';
import { ElectionServiceClient, LockServiceClient } from './lock-election-services.js';
import { MaintenanceClient } from './maintenance-client.js';
import { RpcCaller } from './rpc-caller.js';
import { Watcher, type WatchOptions } from './watcher.js';

export class Etcd {
  readonly kv: KvClient;
  readonly lease: LeaseClient;
  readonly cluster: ClusterClient;
  readonly maintenance: MaintenanceClient;
  readonly auth: AuthClient;
  /** The server-side lock service (v3lockpb); `recipes/Mutex` is the client-side equivalent. */
  readonly lockService: LockServiceClient;
  /** The server-side election service (v3electionpb); `recipes/Election` is the client-side equivalent. */
  readonly electionService: ElectionServiceClient;
  /** For recipes and extensions that call services directly through the same connections. */
  readonly rpc: RpcCaller;
  private readonly pool: EndpointPool;
  private readonly watchers = new Set<Watcher>();
  private closed = false;

  constructor(options: EtcdOptions) {
    this.pool = new EndpointPool(options.endpoints, options.tls);
    this.rpc = new RpcCaller(
      this.pool,
      options.auth,
      options.dialTimeoutMs ?? DIAL_TIMEOUT_MS_DEFAULT,
      options.defaultCallTimeoutMs ?? CALL_TIMEOUT_MS_DEFAULT,
    );
    this.kv = new KvClient(this.rpc);
    this.lease = new LeaseClient(this.rpc);
    this.cluster = new ClusterClient(this.rpc);
    this.maintenance = new MaintenanceClient(this.rpc);
    this.auth = new AuthClient(this.rpc);
    this.lockService = new LockServiceClient(this.rpc);
    this.electionService = new ElectionServiceClient(this.rpc);
  }

  // Shortcuts for the calls most code makes.
  readonly get: KvClient['get'] = (key, options) => this.kv.get(key, options);
  readonly getString: KvClient['getString'] = (key, options) => this.kv.getString(key, options);
  readonly range: KvClient['range'] = (key, options) => this.kv.range(key, options);
  readonly put: KvClient['put'] = (key, value, options) => this.kv.put(key, value, options);
  readonly delete: KvClient['delete'] = (key, options) => this.kv.delete(key, options);
  readonly txn: KvClient['txn'] = () => this.kv.txn();
  readonly pages: KvClient['pages'] = (key, options) => this.kv.pages(key, options);

  /** The endpoint (host:port) calls currently go to; it changes on failover. */
  get activeEndpoint(): string {
    return this.pool.activeEndpoint;
  }

  /** Starts a watch and resolves once the server has created it. */
  async watch(key: Bytes, options: WatchOptions = {}): Promise<Watcher> {
    const watcher = this.watchUnready(key, options);
    try {
      await watcher.created;
    } catch (error) {
      await watcher.close();
      throw error;
    }
    return watcher;
  }

  /** Starts a watch without waiting for its creation (see `watcher.created`). */
  watchUnready(key: Bytes, options: WatchOptions = {}): Watcher {
    if (this.closed) throw new Error('etcd client is closed');
    const watcher: Watcher = new Watcher(this.rpc, key, options, () => this.watchers.delete(watcher));
    this.watchers.add(watcher);
    return watcher;
  }

  /** Stops watches and keep-alives, then closes the connections. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.watchers].map((watcher) => watcher.close()));
    this.watchers.clear();
    await this.lease.close();
    this.pool.close();
  }
}
