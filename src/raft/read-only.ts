// Linearizable reads on the leader: each ReadIndex request waits at the commit
// index of its arrival until a quorum's heartbeat acknowledgements prove the
// leader was still the leader then.

import type { Message } from './message.js';
import type { MemberId } from './types.js';

export type ReadOnlyOption = 'safe' | 'lease-based';

/** Requests awaiting their heartbeat round; more are dropped and the client retries. */
export const MAX_PENDING_READ_INDEX_REQUESTS = 4096;

export interface ReadIndexStatus {
  readonly req: Message;
  readonly index: number;
  readonly acks: Set<MemberId>;
}

export function contextKey(context: Uint8Array): string {
  return Buffer.from(context).toString('latin1');
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  /** Contexts in arrival order; an ack for one confirms every earlier one too. */
  private queue: string[] = [];

  constructor(readonly option: ReadOnlyOption) {}

  /** False when the request was not queued (duplicate context or queue full). */
  addRequest(index: number, req: Message, context: Uint8Array): boolean {
    const key = contextKey(context);
    if (this.pending.has(key) || this.queue.length >= MAX_PENDING_READ_INDEX_REQUESTS) return false;
    this.pending.set(key, { req, index, acks: new Set() });
    this.queue.push(key);
    return true;
  }

  /** Records a heartbeat ack for the request with this context; its acks so far. */
  recvAck(id: MemberId, context: Uint8Array): ReadonlySet<MemberId> | undefined {
    const rs = this.pending.get(contextKey(context));
    if (rs === undefined) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Releases the request with this context and every request queued before it. */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const released: ReadIndexStatus[] = [];
    for (const k of this.queue.slice(0, at + 1)) {
      const rs = this.pending.get(k);
      if (rs !== undefined) released.push(rs);
      this.pending.delete(k);
    }
    this.queue = this.queue.slice(at + 1);
    return released;
  }

  lastPendingContext(): Uint8Array | undefined {
    const last = this.queue[this.queue.length - 1];
    return last === undefined ? undefined : new Uint8Array(Buffer.from(last, 'latin1'));
  }
}
