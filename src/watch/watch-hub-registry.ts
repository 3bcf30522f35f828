// One watch hub per server, created on first use and fed by the server's apply
// loop; the gRPC service and tests reach it through the server.
import type { EtcdServer } from '../server/etcd-server.js';
import { WatchHub } from './watch-hub.js';

/** An open client stream, as the registry needs to see it at shutdown. */
export interface StoppableStream {
  /** Ends the client's call with "server stopped" (UNAVAILABLE), which clients retry elsewhere. */
  stop(): void;
}

export interface ServerWatch {
  readonly hub: WatchHub;
  /** Open client streams; each removes itself when it ends. */
  readonly streams: Set<StoppableStream>;
  /** How often watchers with progress_notify get a notification; read when a stream opens. */
  progressNotifyIntervalMs: number;
}

const hubs = new WeakMap<EtcdServer, ServerWatch>();

export function serverWatch(server: EtcdServer): ServerWatch {
  let entry = hubs.get(server);
  if (entry === undefined) {
    const hub = new WatchHub(server.store);
    server.onWrite((result) => hub.notify(result));
    entry = { hub, streams: new Set(), progressNotifyIntervalMs: server.watchProgressNotifyIntervalMs };
    hubs.set(server, entry);
  }
  return entry;
}

/** Whether any watcher of the server asks prev_kv; false before the first watch stream. */
export function prevKvWatched(server: EtcdServer): boolean {
  return hubs.get(server)?.hub.wantsPrevKv() ?? false;
}

export function watchHubOf(server: EtcdServer): WatchHub {
  return serverWatch(server).hub;
}

/**
 * Ends every open watch stream of the server at once. Watch streams never end by
 * themselves, so a graceful gRPC shutdown would otherwise wait out its timeout and
 * then cut them with CANCELLED, which clients (Go clientv3 among them) treat as final.
 */
export function stopWatchStreams(server: EtcdServer): void {
  const entry = hubs.get(server);
  if (entry === undefined) return;
  for (const stream of [...entry.streams]) stream.stop();
}

/** The member installed a snapshot: its watchers catch up from the new store. */
export function restoreWatchers(server: EtcdServer, previousRevision: number): void {
  hubs.get(server)?.hub.restored(previousRevision);
}
