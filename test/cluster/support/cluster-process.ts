// Runs an N-member cluster of real server processes (etcd-ts, or Debian's etcd for
// reference) on free loopback ports, each with its own data dir, for tests that
// kill, pause and restart members the way an operator or a failure would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../support/free-port.js';
import { repoRoot } from '../../support/repo-root.js';
import { defaultTarget, READY_MARKERS, type ServerTarget } from '../../support/server-process.js';
import { TcpProxy } from './tcp-proxy.js';

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 10_000;
const LOG_KEEP_BYTES = 64 * 1024;
const ETCD_BINARY = '/usr/bin/etcd';
const DEFAULT_TOKEN = 'etcd-cluster-test';

const live = new Set<ChildProcess>();
process.once('exit', () => live.forEach((child) => child.kill('SIGKILL')));

export interface ClusterMember {
  readonly name: string;
  readonly endpoint: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly running: boolean;
  logs(): string;
}

export interface ClusterOptions {
  readonly target?: ServerTarget;
  readonly args?: readonly string[];
  readonly token?: string;
  /** Put a TcpProxy in front of each member's peer port (peers dial it), so tests can cut links. */
  readonly peerProxies?: boolean;
}

class MemberProcess implements ClusterMember {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private logText = '';

  constructor(
    readonly name: string,
    readonly endpoint: string,
    readonly clientUrl: string,
    readonly peerUrl: string,
    readonly dataDir: string,
    private readonly target: ServerTarget,
    private readonly flags: readonly string[],
    /** In front of this member's peer port when the cluster was started with peerProxies. */
    readonly proxy: TcpProxy | null = null,
  ) {}

  private commandLine(): [string, string[]] {
    return this.target === 'etcd'
      ? [ETCD_BINARY, [...this.flags, '--logger=zap']]
      : [process.execPath, [join(repoRoot(), 'bin', 'etcd-ts'), ...this.flags]];
  }

  get running(): boolean {
    return this.child !== null;
  }

  logs(): string {
    return this.logText;
  }

  /** Starts the process; resolves when it logs that it serves (needs a quorum up). `extraFlags` apply to this run only. */
  start(extraFlags: readonly string[] = []): Promise<void> {
    const [command, baseArgs] = this.commandLine();
    const args = [...baseArgs, ...extraFlags];
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD_')));
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      live.delete(child);
      if (this.child === child) this.child = null;
    });
    // Only this run's output counts: a restart must not be taken as ready by the last run's line.
    let thisRun = '';
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} not ready in ${READY_TIMEOUT_MS} ms\n${this.logText.slice(-4000)}`)), READY_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        this.logText = (this.logText + text).slice(-LOG_KEEP_BYTES);
        thisRun = (thisRun + text).slice(-LOG_KEEP_BYTES);
        if (READY_MARKERS[this.target].some((marker) => thisRun.includes(marker))) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code}) before ready\n${this.logText.slice(-4000)}`));
      });
    }).finally(() => {
      // Later restarts look for a fresh ready line.
      this.logText += '\n--- started ---\n';
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }
}

export class ClusterProcess {
  private readonly extra: MemberProcess[] = [];

  private constructor(
    readonly members: readonly MemberProcess[],
    private readonly root: string,
    private readonly options: ClusterOptions,
  ) {}

  static async start(size: number, options: ClusterOptions = {}): Promise<ClusterProcess> {
    const target = options.target ?? defaultTarget();
    const proxied = options.peerProxies === true;
    const ports = await freePorts(size * (proxied ? 3 : 2));
    const root = await mkdtemp(join(tmpdir(), 'etcd-cluster-'));
    const names = Array.from({ length: size }, (_, i) => `m${i + 1}`);
    const peerUrl = (i: number): string => `http://127.0.0.1:${ports[size + i]}`;
    // With proxies, peers are told (and dial) the proxy's port; the member listens behind it.
    const advertisedPeerUrl = (i: number): string => (proxied ? `http://127.0.0.1:${ports[2 * size + i]}` : peerUrl(i));
    const proxies = proxied ? await Promise.all(names.map((_, i) => TcpProxy.open(ports[2 * size + i] ?? 0, ports[size + i] ?? 0))) : [];
    const initialCluster = names.map((name, i) => `${name}=${advertisedPeerUrl(i)}`).join(',');
    const members = names.map((name, i) => {
      const clientUrl = `http://127.0.0.1:${ports[i]}`;
      const dataDir = join(root, `${name}.etcd`);
      const flags = [
        `--name=${name}`,
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl(i)}`,
        `--initial-advertise-peer-urls=${advertisedPeerUrl(i)}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-token=${options.token ?? DEFAULT_TOKEN}`,
        ...(options.args ?? []),
      ];
      return new MemberProcess(name, `127.0.0.1:${ports[i]}`, clientUrl, peerUrl(i), dataDir, target, flags, proxies[i] ?? null);
    });
    const cluster = new ClusterProcess(members, root, options);
    try {
      await Promise.all(members.map((member) => member.start()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /**
   * Starts one more member that joins the running cluster (after `member add`):
   * --initial-cluster-state existing, with the cluster list etcdctl printed.
   */
  async join(name: string, clientPort: number, peerPort: number, initialCluster: string): Promise<MemberProcess> {
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const dataDir = join(this.root, `${name}.etcd`);
    const flags = [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-state=existing',
      `--initial-cluster-token=${this.options.token ?? DEFAULT_TOKEN}`,
      ...(this.options.args ?? []),
    ];
    const target = this.options.target ?? defaultTarget();
    const member = new MemberProcess(name, `127.0.0.1:${clientPort}`, clientUrl, peerUrl, dataDir, target, flags);
    this.extra.push(member);
    await member.start();
    return member;
  }

  member(index: number): MemberProcess {
    const member = this.members[index];
    if (member === undefined) throw new Error(`no member ${index}`);
    return member;
  }

  endpoints(): string[] {
    return this.members.map((member) => member.endpoint);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.members, ...this.extra].map((member) => member.stop()));
    await Promise.all(this.members.map((member) => member.proxy?.close()));
    await rm(this.root, { recursive: true, force: true });
  }
}
