// --auto-compaction-mode/--auto-compaction-retention, with etcd's schedule.
// Periodic: sample the revision every retention/10 (at most every 6 min), and once
// a full retention has passed, compact to the revision sampled one retention ago,
// then again every retention (at most hourly). Revision: every 5 minutes compact to
// current - retention. Only the leader compacts; the compaction goes through the log.
import { isEtcdError } from '../errors/etcd-error.js';
import type { Logger } from '../log/logger.js';
import type { AutoCompaction } from './server-options.js';

/** etcd's revision-mode interval. */
export const REVISION_COMPACTION_INTERVAL_MS = 5 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const RETRY_DIVISOR = 10;

export interface CompactionTarget {
  currentRevision(): number;
  isLeader(): boolean;
  compact(revision: number): Promise<void>;
}

/** The pure schedule: given the time, decide whether to compact and to which revision. */
export class PeriodicSchedule {
  private readonly samples: number[] = [];
  private readonly retentions: number;
  private readonly compactIntervalMs: number;
  readonly sampleIntervalMs: number;
  private lastSuccessMs: number;
  private baseIntervalMs: number;

  constructor(
    private readonly retentionMs: number,
    startMs: number,
  ) {
    this.compactIntervalMs = Math.min(retentionMs, HOUR_MS);
    this.sampleIntervalMs = Math.max(1, Math.floor(this.compactIntervalMs / RETRY_DIVISOR));
    this.retentions = Math.floor(retentionMs / this.sampleIntervalMs) + 1;
    this.lastSuccessMs = startMs;
    this.baseIntervalMs = retentionMs;
  }

  /** Records a revision sample (call every sampleIntervalMs, before due()). */
  sample(revision: number): void {
    this.samples.push(revision);
    if (this.samples.length > this.retentions) this.samples.shift();
  }

  /** The revision to compact to now, or null if it is not time yet. */
  due(nowMs: number): number | null {
    if (nowMs - this.lastSuccessMs < this.baseIntervalMs) return null;
    this.baseIntervalMs = this.compactIntervalMs;
    return this.samples[0] ?? null;
  }

  succeeded(nowMs: number): void {
    this.lastSuccessMs = nowMs;
  }

  get retentionPeriodMs(): number {
    return this.retentionMs;
  }
}

export class AutoCompactor {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastRevisionTarget = 0;
  private readonly periodic: PeriodicSchedule | null;

  constructor(
    private readonly mode: AutoCompaction,
    private readonly target: CompactionTarget,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.periodic = mode.mode === 'periodic' ? new PeriodicSchedule(mode.retentionMs, now()) : null;
  }

  start(): void {
    const intervalMs = this.periodic?.sampleIntervalMs ?? REVISION_COMPACTION_INTERVAL_MS;
    if (this.periodic !== null) this.periodic.sample(this.target.currentRevision());
    this.timer = setInterval(() => void this.step(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One scheduled step; exposed for tests that drive time themselves. */
  async step(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const revision = this.nextTarget();
      if (revision === null || !this.target.isLeader()) return;
      await this.compactTo(revision);
    } finally {
      this.running = false;
    }
  }

  private nextTarget(): number | null {
    if (this.periodic !== null) {
      const revision = this.periodic.due(this.now());
      this.periodic.sample(this.target.currentRevision());
      return revision;
    }
    if (this.mode.mode !== 'revision') return null;
    const revision = this.target.currentRevision() - this.mode.retentionRevisions;
    return revision <= 0 || revision === this.lastRevisionTarget ? null : revision;
  }

  private async compactTo(revision: number): Promise<void> {
    const modeName = this.mode.mode;
    this.logger.info(`starting auto ${modeName} compaction`, { revision });
    try {
      await this.target.compact(revision);
    } catch (error) {
      if (!(isEtcdError(error) && error.code === 'Compacted')) {
        this.logger.warn(`failed auto ${modeName} compaction`, { revision, error: String(error) });
        return;
      }
    }
    this.lastRevisionTarget = revision;
    this.periodic?.succeeded(this.now());
    this.logger.info(`completed auto ${modeName} compaction`, { revision });
  }
}
