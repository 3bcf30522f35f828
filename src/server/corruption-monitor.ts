// The periodic corruption check (--experimental-corrupt-check-time): every interval,
// if this member leads, it hashes its store, asks each follower for its hash at that
// revision, confirms it still leads (a linearizable barrier), hashes again, and raises
// the CORRUPT alarm through the log when the rules of etcd's checkHashKV find a mismatch.
import type { Logger } from '../log/logger.js';
import { findMismatch, peerHashes, type CorruptionCheckTarget } from './corruption-check.js';

export interface CorruptionMonitorTarget extends CorruptionCheckTarget {
  isLeader(): boolean;
  /** Resolves once every write acknowledged before the call is applied here. */
  linearizableBarrier(): Promise<void>;
  /** Proposes ACTIVATE CORRUPT (member 0, as etcd) through the log. */
  raiseCorruptAlarm(): Promise<void>;
}

export class CorruptionMonitor {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: CorruptionMonitorTarget,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.logger.info('enabled corruption checking', { 'local-member-id': this.target.memberId.toString(16), interval: `${this.intervalMs}ms` });
    this.schedule();
  }

  /** Stops the timer and waits for a check in progress. Safe twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.checkIfLeader().finally(() => this.schedule());
    }, this.intervalMs);
  }

  private async checkIfLeader(): Promise<void> {
    if (!this.target.isLeader()) return;
    try {
      await this.checkOnce();
    } catch (error) {
      this.logger.warn('failed to check hash KV', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** One pass; public for tests. Returns whether the alarm was raised. */
  async checkOnce(): Promise<boolean> {
    const before = await this.target.localHash();
    const answers = await peerHashes(this.target, before.revision, this.logger);
    await this.target.linearizableBarrier();
    const after = await this.target.localHash();
    const suspect = findMismatch(before, after, answers, this.logger);
    if (suspect === null || this.stopped) return false;
    await this.target.raiseCorruptAlarm();
    return true;
  }
}
