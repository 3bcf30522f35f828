// A long-running etcdctl (lock, elect, keep-alive) as a child process: its output
// so far, a wait for text to appear, and a stop by signal that reaps it.
import { spawn, type ChildProcess } from 'node:child_process';
import { ETCDCTL_BINARY } from '../support/etcdctl.js';

const WAIT_TIMEOUT_MS_DEFAULT = 10_000;
const POLL_MS = 25;
const STOP_WAIT_MS = 5_000;

export class EtcdctlSession {
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  private readonly exited: Promise<number | null>;

  constructor(endpoint: string, args: string[]) {
    this.child = spawn(ETCDCTL_BINARY, [`--endpoints=${endpoint}`, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.err += chunk.toString()));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.once('error', () => resolve(null));
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** Resolves once stdout contains `text`; rejects after the timeout with what was seen. */
  async waitFor(text: string | RegExp, timeoutMs = WAIT_TIMEOUT_MS_DEFAULT): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const seen = (): boolean => (typeof text === 'string' ? this.out.includes(text) : text.test(this.out));
    while (!seen()) {
      if (Date.now() > deadline) throw new Error(`etcdctl never printed ${String(text)}; stdout: ${this.out}; stderr: ${this.err}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** The exit code once it ends by itself. */
  exit(): Promise<number | null> {
    return this.exited;
  }

  /** Sends the signal (SIGINT lets etcdctl unlock or resign) and waits for the exit; SIGKILL if it lingers. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_WAIT_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
