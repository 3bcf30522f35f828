// Proposals and lease renewals made while this member knows no leader (an election
// under way, or no quorum) wait here for one, as etcd's raft node holds a proposal
// and its lease renewal waits for a leader rather than refusing. A wait that ends
// without a leader (its caller's timeout, the stop) is forgotten at once, so the set
// holds only callers that are still waiting.

export class LeaderWait {
  private readonly waiting = new Set<() => void>();

  get size(): number {
    return this.waiting.size;
  }

  /** True if a leader is known before `giveUp` settles, false otherwise. */
  async before(giveUp: Promise<unknown>): Promise<boolean> {
    let release: () => void = () => undefined;
    const elected = new Promise<boolean>((resolve) => {
      release = () => resolve(true);
    });
    this.waiting.add(release);
    try {
      return await Promise.race([elected, giveUp.then(() => false)]);
    } finally {
      this.waiting.delete(release);
    }
  }

  /** True once a leader is known, false if none is within `timeoutMs`. */
  async within(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      // A stopping server does not wait for this timer.
      timer.unref();
    });
    try {
      return await this.before(timedOut);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A leader is known (`leader` non-zero): every waiting caller goes ahead. */
  onLeaderChange(leader: bigint): void {
    if (leader === 0n) return;
    for (const release of this.waiting) release();
    this.waiting.clear();
  }
}
