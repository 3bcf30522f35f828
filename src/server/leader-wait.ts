// Proposals and lease renewals made while this member knows no leader (an election
// under way, or no quorum) wait here for one, as etcd's raft node holds a proposal
// and its lease renewal waits for a leader rather than refusing. Each wait is
// cancelled by its owner when it gives up (timeout, stop), so the set holds only
// callers that are still waiting.

export interface PendingLeaderWait {
  /** Resolves when a leader is known; never rejects. */
  readonly elected: Promise<void>;
  /** Forgets the wait (the owner stopped waiting); safe after it resolved. */
  cancel(): void;
}

export class LeaderWait {
  private readonly waiting = new Set<() => void>();

  get size(): number {
    return this.waiting.size;
  }

  next(): PendingLeaderWait {
    let release: () => void = () => undefined;
    const elected = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.waiting.add(release);
    return { elected, cancel: () => this.waiting.delete(release) };
  }

  /** True once a leader is known, false if none is within `timeoutMs`. */
  async within(timeoutMs: number): Promise<boolean> {
    const wait = this.next();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      // A stopping server does not wait for this timer.
      timer.unref();
    });
    try {
      return await Promise.race([wait.elected.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
      wait.cancel();
    }
  }

  /** A leader is known (`leader` non-zero): every waiting proposal goes ahead. */
  onLeaderChange(leader: bigint): void {
    if (leader === 0n) return;
    for (const release of this.waiting) release();
    this.waiting.clear();
  }
}
