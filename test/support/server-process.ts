// Runs one single-member server (etcd-ts or the real etcd binary) as a child process
// on free loopback ports with a temp data dir, for tests that talk to it like a user.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './free-port.js';
import { repoRoot } from './repo-root.js';

export type ServerTarget = 'etcd-ts' | 'etcd';

export interface StartOptions {
  /** Defaults to env ETCD_TS_TARGET, else 'etcd-ts'. */
  target?: ServerTarget;
  /** Extra flags, after the ones that place the server on its ports and data dir. */
  args?: string[];
  /** Extra environment; inherited ETCD_* variables are dropped so they cannot leak in. */
  env?: Record<string, string>;
  name?: string;
  readyTimeoutMs?: number;
}

export interface ServerProcess {
  readonly target: ServerTarget;
  readonly name: string;
  /** host:port, as etcdctl --endpoints and grpc-js take it. */
  readonly endpoint: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** The current child's pid (changes on restart). */
  readonly pid: number;
  /** The last LOG_KEEP_BYTES of stdout and stderr, across restarts. */
  logs(): string;
  /** SIGTERM, then SIGKILL if it lingers; removes the data dir unless asked to keep it. */
  stop(options?: { keepDataDir?: boolean }): Promise<number | null>;
  /** SIGKILL; keeps the data dir. */
  kill(): Promise<void>;
  /** Stops (keeping data) and starts again on the same ports and data dir. */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 10_000;
const KILL_WAIT_MS = 5_000;
const LOG_KEEP_BYTES = 64 * 1024;
const START_ATTEMPTS_MAX = 3;
const ETCD_BINARY = '/usr/bin/etcd';
// Real etcd 3.4 with --logger zap never prints "ready to serve client requests" (only
// its capnslog path does); this line follows the same readiness point in 3.4.
export const READY_MARKERS: Readonly<Record<ServerTarget, readonly string[]>> = {
  'etcd-ts': ['ready to serve client requests'],
  etcd: ['ready to serve client requests', 'serving client traffic insecurely'],
};

const liveChildren = new Set<ChildProcess>();
// A crashed test run must not leave servers behind on a shared machine.
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/** The target chosen by env ETCD_TS_TARGET. */
export function defaultTarget(): ServerTarget {
  const value = process.env['ETCD_TS_TARGET'];
  if (value === undefined || value === '' || value === 'etcd-ts') return 'etcd-ts';
  if (value === 'etcd') return 'etcd';
  throw new Error(`ETCD_TS_TARGET must be 'etcd-ts' or 'etcd', got '${value}'`);
}

export async function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  const target = options.target ?? defaultTarget();
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS_MAX; attempt++) {
    const [clientPort, peerPort] = await freePorts(2);
    const root = await mkdtemp(join(tmpdir(), 'etcd-compat-'));
    const server = new ManagedServer(target, options, clientPort!, peerPort!, root);
    try {
      await server.spawnAndWait();
      return server;
    } catch (error) {
      lastError = error;
      await server.stop();
      // Another process may have taken a port between our probe and the bind.
      if (!/address already in use/i.test(server.logs())) break;
    }
  }
  throw lastError;
}

class ManagedServer implements ServerProcess {
  readonly name: string;
  readonly endpoint: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private logText = '';
  private removed = false;

  constructor(
    readonly target: ServerTarget,
    private readonly options: StartOptions,
    clientPort: number,
    peerPort: number,
    private readonly root: string,
  ) {
    this.name = options.name ?? 'compat';
    this.endpoint = `127.0.0.1:${clientPort}`;
    this.clientUrl = `http://127.0.0.1:${clientPort}`;
    this.peerUrl = `http://127.0.0.1:${peerPort}`;
    this.dataDir = join(root, `${this.name}.etcd`);
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  logs(): string {
    return this.logText;
  }

  async spawnAndWait(): Promise<void> {
    const [command, args] = this.commandLine();
    const child = spawn(command, args, { env: this.childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    liveChildren.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        liveChildren.delete(child);
        resolve(code);
      });
      child.once('error', (error) => {
        this.appendLog(`spawn error: ${error.message}\n`);
        liveChildren.delete(child);
        resolve(null);
      });
    });
    await this.waitReady(child);
  }

  private commandLine(): [string, string[]] {
    const flags = [
      `--name=${this.name}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${this.peerUrl}`,
      `--initial-advertise-peer-urls=${this.peerUrl}`,
      `--initial-cluster=${this.name}=${this.peerUrl}`,
    ];
    if (this.target === 'etcd') return [ETCD_BINARY, [...flags, '--logger=zap', ...(this.options.args ?? [])]];
    const bin = join(repoRoot(), 'bin', 'etcd-ts');
    if (!existsSync(bin)) throw new Error(`${bin} does not exist yet; set ETCD_TS_TARGET=etcd to test real etcd`);
    return [process.execPath, [bin, ...flags, ...(this.options.args ?? [])]];
  }

  private childEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !key.startsWith('ETCD_')) env[key] = value;
    }
    return { ...env, ...(this.options.env ?? {}) };
  }

  private waitReady(child: ChildProcess): Promise<void> {
    const markers = READY_MARKERS[this.target];
    const timeoutMs = this.options.readyTimeoutMs ?? READY_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let tail = '';
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        this.appendLog(text);
        // Keep a short tail so a marker split across two chunks is still seen.
        const window = tail + text;
        tail = window.slice(-200);
        if (markers.some((marker) => window.includes(marker))) finish();
      };
      const onExit = (code: number | null, signal: string | null): void =>
        finish(new Error(`server exited before ready (code ${code}, signal ${signal})\n${this.logTail()}`));
      const timer = setTimeout(() => finish(new Error(`server not ready in ${timeoutMs} ms\n${this.logTail()}`)), timeoutMs);
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
    });
  }

  private appendLog(text: string): void {
    this.logText += text;
    if (this.logText.length > LOG_KEEP_BYTES) this.logText = this.logText.slice(-LOG_KEEP_BYTES);
  }

  private logTail(): string {
    return this.logText.slice(-4000);
  }

  async stop(options: { keepDataDir?: boolean } = {}): Promise<number | null> {
    const code = await this.terminate();
    if (!options.keepDataDir && !this.removed) {
      this.removed = true;
      await rm(this.root, { recursive: true, force: true });
    }
    return code;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || !liveChildren.has(child)) return;
    child.kill('SIGKILL');
    await withTimeout(this.exited, KILL_WAIT_MS);
  }

  async restart(): Promise<void> {
    await this.terminate();
    await this.spawnAndWait();
  }

  private async terminate(): Promise<number | null> {
    const child = this.child;
    if (child === undefined) return null;
    if (!liveChildren.has(child)) return this.exited;
    child.kill('SIGTERM');
    const graceful = await withTimeout(this.exited, STOP_GRACE_MS);
    if (graceful !== 'timeout') return graceful;
    child.kill('SIGKILL');
    const forced = await withTimeout(this.exited, KILL_WAIT_MS);
    return forced === 'timeout' ? null : forced;
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
