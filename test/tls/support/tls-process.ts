// Starts etcd-ts (or the reference etcd) with a full flag list of the test's choosing
// (https URLs, certificate flags), waits for its ready line, and stops it; for the TLS
// tests, whose URLs must be known before the flags are written.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../support/repo-root.js';
import { defaultTarget } from '../../support/server-process.js';

export type TlsTarget = 'etcd-ts' | 'etcd';

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 10_000;
const EXIT_WAIT_MS = 15_000;
const LOG_KEEP_BYTES = 256 * 1024;
const ETCD_BINARY = '/usr/bin/etcd';
/** etcd 3.4 with zap never logs "ready to serve client requests"; these follow the same point. */
const READY_LINES: Readonly<Record<TlsTarget, readonly string[]>> = {
  'etcd-ts': ['ready to serve client requests'],
  etcd: ['serving client traffic securely', 'serving client traffic insecurely'],
};

const live = new Set<ChildProcess>();
process.once('exit', () => live.forEach((child) => child.kill('SIGKILL')));

export class TlsProcess {
  private logText = '';
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    live.add(child);
    const keep = (chunk: Buffer): void => {
      this.logText = (this.logText + chunk.toString('utf8')).slice(-LOG_KEEP_BYTES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }));
  }

  /** Spawns the server with exactly these flags (plus --logger=zap for etcd); the target defaults to ETCD_TS_TARGET's. */
  static spawn(flags: readonly string[], target: TlsTarget = defaultTarget()): TlsProcess {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD_')));
    const [command, args] = target === 'etcd'
      ? [ETCD_BINARY, [...flags, '--logger=zap']]
      : [process.execPath, [join(repoRoot(), 'bin', 'etcd-ts'), ...flags]];
    return new TlsProcess(spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Spawns and waits for the ready line; stops the process and throws if it exits or takes too long. */
  static async start(flags: readonly string[], target: TlsTarget = defaultTarget()): Promise<TlsProcess> {
    const server = TlsProcess.spawn(flags, target);
    try {
      await server.waitFor(READY_LINES[target], READY_TIMEOUT_MS);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  logs(): string {
    return this.logText;
  }

  /** Resolves once a log line contains one of the texts; rejects on exit or timeout. */
  waitFor(texts: readonly string[], timeoutMs: number): Promise<void> {
    const startedMs = Date.now();
    return new Promise((resolve, reject) => {
      let exited = false;
      void this.exited.then(() => {
        exited = true;
      });
      const poll = (): void => {
        if (texts.some((text) => this.logText.includes(text))) return resolve();
        if (exited) return reject(new Error(`server exited before "${texts.join('" or "')}":\n${this.logText}`));
        if (Date.now() - startedMs > timeoutMs) return reject(new Error(`no "${texts.join('" or "')}" within ${timeoutMs} ms:\n${this.logText}`));
        setTimeout(poll, 50);
      };
      poll();
    });
  }

  /** The exit code of a process expected to stop by itself (start-up refusals). */
  async exitCode(): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), EXIT_WAIT_MS);
    });
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      await this.stop();
      throw new Error(`server did not exit by itself:\n${this.logText}`);
    }
    return outcome;
  }

  /** SIGTERM, then SIGKILL after a grace period. Safe twice. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
