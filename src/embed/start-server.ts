// An etcd-ts server inside the current Node process: for tests and tools that
// want a real server on a free loopback port without spawning a binary.
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientServer } from '../api/grpc/client-server.js';
import { SILENT_LOGGER, type Logger } from '../log/logger.js';
import { EtcdServer } from '../server/etcd-server.js';
import { materialFromPem, type PemTls } from '../tls/tls-material.js';
import {
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_TXN_OPS,
  DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL_MS,
  type ServerOptions,
} from '../server/server-options.js';

export interface StartServerOptions {
  /** Directory for durable data; omitted keeps everything in memory. 'temp' makes a fresh temp dir. */
  readonly dataDir?: string | 'temp';
  /** Client port on 127.0.0.1; omitted picks a free one. */
  readonly port?: number;
  readonly name?: string;
  readonly logger?: Logger;
  /** Serve the client port over TLS (https) with this certificate; a CA makes client certificates required. */
  readonly tls?: PemTls;
  /** Any other server option, for tests of limits and quotas. */
  readonly overrides?: Partial<Omit<ServerOptions, 'listenClientUrls' | 'dataDir' | 'logger'>>;
}

export interface RunningServer {
  /** host:port for gRPC clients. */
  readonly endpoint: string;
  readonly clientUrl: string;
  readonly dataDir: string | null;
  readonly server: EtcdServer;
  /** Graceful stop; safe to call twice. */
  close(): Promise<void>;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const port = options.port ?? (await freeLoopbackPort());
  const peerPort = await freeLoopbackPort();
  const dataDir = options.dataDir === 'temp' ? await mkdtemp(join(tmpdir(), 'etcd-ts-')) : (options.dataDir ?? null);
  const name = options.name ?? 'default';
  const tls = options.tls === undefined ? null : materialFromPem(options.tls);
  const clientUrl = `${tls === null ? 'http' : 'https'}://127.0.0.1:${port}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const serverOptions: ServerOptions = {
    name,
    dataDir,
    walDir: null,
    listenClientUrls: [new URL(clientUrl)],
    advertiseClientUrls: [clientUrl],
    listenPeerUrls: [new URL(peerUrl)],
    initialAdvertisePeerUrls: [peerUrl],
    initialCluster: [{ name, peerUrls: [peerUrl] }],
    initialClusterState: 'new',
    initialClusterToken: 'etcd-cluster',
    strictReconfigCheck: true,
    snapshotCount: 100_000,
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 1000,
    quotaBackendBytes: 0,
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    maxTxnOps: DEFAULT_MAX_TXN_OPS,
    maxSnapshots: 5,
    maxWals: 5,
    autoCompaction: null,
    compactionBatchLimit: 1000,
    backendBatchLimit: 10_000,
    backendBatchIntervalMs: 100,
    watchProgressNotifyIntervalMs: DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL_MS,
    leaseCheckpointIntervalMs: null,
    ...options.overrides,
    logger: options.logger ?? SILENT_LOGGER,
  };
  const server = await EtcdServer.start(serverOptions);
  await server.publishAttributesWithRetry();
  const clients = await ClientServer.listen(server, serverOptions.listenClientUrls, serverOptions.logger, { tls });
  let closed: Promise<void> | null = null;
  return {
    endpoint: `127.0.0.1:${port}`,
    clientUrl,
    dataDir,
    server,
    close: () => {
      closed ??= clients.close().then(() => server.close());
      return closed;
    },
  };
}
