// One server for a watch test file: etcd-ts in process (default), or the real
// etcd binary with ETCD_TS_TARGET=etcd for reference runs; hub checks are only
// possible in process.
import { startServer, type StartServerOptions } from '../../src/embed/start-server.js';
import type { MvccStore } from '../../src/mvcc/mvcc-store.js';
import type { WatchHub } from '../../src/watch/watch-hub.js';
import { serverWatch, stopWatchStreams } from '../../src/watch/watch-hub-registry.js';
import { RawKv } from '../support/raw-kv.js';
import { startServer as startProcess } from '../support/server-process.js';

export interface WatchTarget {
  readonly endpoint: string;
  readonly kv: RawKv;
  /** null against real etcd. */
  readonly hub: WatchHub | null;
  /** The server's store, for comparing against history; null against real etcd. */
  readonly store: MvccStore | null;
  /** Ends every open watch stream as a shutting-down server would; null against real etcd. */
  readonly stopWatchStreams: (() => void) | null;
  close(): Promise<void>;
}

export interface TargetOptions extends StartServerOptions {
  /** Progress notification interval for watchers with progress_notify. */
  readonly progressNotifyIntervalMs?: number;
}

export async function openTarget(options: TargetOptions = {}): Promise<WatchTarget> {
  // WATCH_OUT_OF_PROCESS=1 runs etcd-ts as a child process too, so latency numbers compare like with like.
  if (process.env['ETCD_TS_TARGET'] === 'etcd' || process.env['WATCH_OUT_OF_PROCESS'] === '1') {
    const args = options.progressNotifyIntervalMs === undefined ? [] : [`--experimental-watch-progress-notify-interval=${options.progressNotifyIntervalMs}ms`];
    if (options.overrides?.maxRequestBytes !== undefined) args.push(`--max-request-bytes=${options.overrides.maxRequestBytes}`);
    const child = await startProcess({ target: process.env['ETCD_TS_TARGET'] === 'etcd' ? 'etcd' : 'etcd-ts', args });
    const kv = new RawKv(child.endpoint);
    return { endpoint: child.endpoint, kv, hub: null, store: null, stopWatchStreams: null, close: async () => { kv.close(); await child.stop(); } };
  }
  const running = await startServer(options);
  const watch = serverWatch(running.server);
  if (options.progressNotifyIntervalMs !== undefined) watch.progressNotifyIntervalMs = options.progressNotifyIntervalMs;
  const kv = new RawKv(running.endpoint);
  return { endpoint: running.endpoint, kv, hub: watch.hub, store: running.server.store, stopWatchStreams: () => stopWatchStreams(running.server), close: async () => { kv.close(); await running.close(); } };
}

export const b = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Polls until `condition` holds; fails with `what` after the timeout. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function putRevision(kv: RawKv, key: string, value: string): Promise<number> {
  const response = await kv.put({ key: b(key), value: b(value) });
  return Number(response.header?.revision ?? 0n);
}

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** The p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
