// Unique ids for proposals, so a member finds its own waiter when an entry comes
// back applied. As etcd: the member id's low 16 bits, then 40 bits of start time
// in ms, then a counter that may carry into the time bits, never into the prefix.
import type { MemberId } from '../raft/types.js';

const SUFFIX_BITS = 48n;
const SUFFIX_MASK = (1n << SUFFIX_BITS) - 1n;

export class RequestIdGenerator {
  private readonly prefix: bigint;
  private suffix: bigint;

  constructor(memberId: MemberId, startMs: number) {
    this.prefix = (memberId & 0xffffn) << SUFFIX_BITS;
    this.suffix = (BigInt(Math.floor(startMs)) & 0xff_ffff_ffffn) << 8n;
  }

  next(): bigint {
    this.suffix = (this.suffix + 1n) & SUFFIX_MASK;
    return this.prefix | this.suffix;
  }
}
