// A long-running watch client (etcdctl watch, a python watcher) as an async child
// process: tests read its stdout line by line while they write, then stop it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

const LINE_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 2000;
const OUTPUT_LINES_MAX = 100_000;

export class WatchProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private partial = '';
  private stderr = '';
  private exit: number | null | undefined = undefined;
  private readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], env: Record<string, string> = {}) {
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => {
      const parts = (this.partial + chunk.toString('utf8')).split('\n');
      this.partial = parts.pop() ?? '';
      if (this.lines.length < OUTPUT_LINES_MAX) this.lines.push(...parts);
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code) => {
        this.exit = code;
        resolve(code);
      });
    });
  }

  /** Sends a line to the process's stdin (kept open). */
  writeLine(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Waits until stdout holds at least `count` complete lines; returns them all. */
  async waitForLines(count: number, timeoutMs = LINE_TIMEOUT_MS): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (this.exit !== undefined) throw new Error(`process exited ${this.exit} after ${this.lines.length} lines: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`only ${this.lines.length}/${count} lines after ${timeoutMs} ms: ${JSON.stringify(this.lines)} ${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return [...this.lines];
  }

  output(): { lines: string[]; stderr: string } {
    return { lines: [...this.lines], stderr: this.stderr };
  }

  /** Resolves with the exit code once the process ends by itself. */
  waitForExit(): Promise<number | null> {
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it lingers; safe to call twice. */
  async stop(): Promise<void> {
    if (this.exit !== undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
