// One watch hub per server, created on first use and fed by the server's apply
// loop; the gRPC service and tests reach it through the server.
import type { EtcdServer } from '../server/etcd-server.js';
import { DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL_MS } from '../server/server-options.js';
import { WatchHub } from './watch-hub.js';

export interface ServerWatch {
  readonly hub: WatchHub;
  /** How often watchers with progress_notify get a notification; read when a stream opens. */
  progressNotifyIntervalMs: number;
}

const hubs = new WeakMap<EtcdServer, ServerWatch>();

export function serverWatch(server: EtcdServer): ServerWatch {
  let entry = hubs.get(server);
  if (entry === undefined) {
    const hub = new WatchHub(server.store);
    server.onWrite((result) => hub.notify(result));
    entry = { hub, progressNotifyIntervalMs: DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL_MS };
    hubs.set(server, entry);
  }
  return entry;
}

export function watchHubOf(server: EtcdServer): WatchHub {
  return serverWatch(server).hub;
}
