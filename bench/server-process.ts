// Starts a single-member etcd or etcd-ts on free loopback ports with a fresh data dir, waits
// until it serves, and stops it (SIGTERM, bounded wait, SIGKILL) and removes the data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KVService, RangeRequest } from '../src/generated/etcdserverpb/rpc.js';
import { freePorts } from './free-port.js';
import { GrpcJsConnection } from './grpcjs-connection.js';

export type ServerKind = 'etcd' | 'etcd-ts';
export const SERVER_KINDS: readonly ServerKind[] = ['etcd', 'etcd-ts'];

export const ETCD_BIN_DEFAULT = '/usr/bin/etcd';
export const READY_TIMEOUT_MS = 30_000;
export const STOP_GRACE_MS = 5_000;
/** Log lines kept to explain a failed start. */
const LOG_TAIL_LINES = 40;
/**
 * etcd 3.5 logs the first; etcd 3.4 with --logger zap logs the second. etcd-ts logs the
 * first only after its member attributes are published, and the second earlier, when it
 * starts listening, so for etcd-ts only the first marks readiness.
 */
const READY_MARKERS: Readonly<Record<ServerKind, readonly string[]>> = {
  etcd: ['ready to serve client requests', 'serving client traffic insecurely'],
  'etcd-ts': ['ready to serve client requests'],
};

export interface ServerBinaries {
  etcd: string;
  etcdTs: string;
}

export function defaultBinaries(): ServerBinaries {
  const repoRoot = findRepoRoot();
  return { etcd: ETCD_BIN_DEFAULT, etcdTs: join(repoRoot, 'bin', 'etcd-ts') };
}

/** The repo root holds package.json; this file is in bench/ or dist/bench/. */
function findRepoRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  for (let i = 0; i < 4; i += 1) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = join(dir, '..');
  }
  return process.cwd();
}

export function serverAvailable(kind: ServerKind, bins: ServerBinaries): boolean {
  return existsSync(kind === 'etcd' ? bins.etcd : bins.etcdTs);
}

/** Servers not yet stopped, so an interrupted bench can still stop them. */
const liveServers = new Set<ServerProcess>();

export async function stopAllServers(): Promise<void> {
  await Promise.all([...liveServers].map((s) => s.stop()));
}

export class ServerProcess {
  private readonly logTail: string[] = [];
  private exited = false;
  private stopped: Promise<void> | undefined;

  private constructor(
    readonly kind: ServerKind,
    readonly child: ChildProcess,
    readonly endpoint: string,
    readonly dataDir: string,
  ) {
    child.once('exit', () => (this.exited = true));
    liveServers.add(this);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(kind: ServerKind, bins: ServerBinaries): Promise<ServerProcess> {
    const [clientPort, peerPort] = await freePorts(2);
    const dataDir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const flags = [
      '--name', 'b', '--data-dir', join(dataDir, 'data'),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `b=${peer}`, '--logger', 'zap',
    ];
    const [cmd, args] = kind === 'etcd' ? [bins.etcd, flags] : [process.execPath, [bins.etcdTs, ...flags]];
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new ServerProcess(kind, child, `127.0.0.1:${clientPort}`, dataDir);
    try {
      await server.waitReady();
      return server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  private waitReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${this.kind} not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        reject(new Error(`${err.message}\n--- last log lines ---\n${this.logTail.join('\n')}`));
      };
      let seen = false;
      const onLine = (line: string): void => {
        this.logTail.push(line);
        if (this.logTail.length > LOG_TAIL_LINES) this.logTail.shift();
        if (seen || !READY_MARKERS[this.kind].some((m) => line.includes(m))) return;
        seen = true;
        probe(this.endpoint).then(() => (clearTimeout(timer), resolve()), fail);
      };
      for (const stream of [this.child.stdout, this.child.stderr]) {
        let partial = '';
        stream?.on('data', (chunk: Buffer) => {
          const lines = (partial + chunk.toString()).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) onLine(line);
        });
      }
      this.child.once('exit', (code, signal) => fail(new Error(`${this.kind} exited early (code ${code}, signal ${signal})`)));
      this.child.once('error', fail);
    });
  }

  /** Safe to call twice; always removes the data dir. */
  stop(): Promise<void> {
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  private async stopOnce(): Promise<void> {
    if (!this.exited && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const graceful = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
      if (!graceful) {
        this.child.kill('SIGKILL');
        await Promise.race([exited, sleep(STOP_GRACE_MS)]);
      }
    }
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    rmSync(this.dataDir, { recursive: true, force: true });
    liveServers.delete(this);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** One real grpc-js request proves the client port answers gRPC, not just that a line was logged. */
async function probe(endpoint: string): Promise<void> {
  const connection = new GrpcJsConnection(endpoint, -2);
  try {
    await connection.waitReady();
    const payload = KVService.range.requestSerialize(RangeRequest.fromPartial({ key: Buffer.from('bench/probe') }));
    await connection.callRaw(KVService.range.path, payload);
  } finally {
    connection.close();
  }
}
