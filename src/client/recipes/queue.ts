// Work queues as in etcd's contrib/recipes: items are keys under a prefix; a consumer
// claims an item by deleting it at the revision it read, so each item goes to exactly one
// consumer. Queue is FIFO by revision; PriorityQueue orders by priority, then arrival.
import type { Etcd } from '../etcd.js';
import type { KeyValue, RangeOptions } from '../kv-requests.js';
import { createSequentialKey, createUniqueKey, deleteIfUnchanged } from './unique-key.js';
import { WAIT_ROUNDS_MAX, waitEvent } from './wait-events.js';

export const PRIORITY_MAX = 65_535;
const PRIORITY_DIGITS = 5;

export class Queue {
  constructor(
    private readonly etcd: Etcd,
    private readonly prefix: string,
  ) {}

  async enqueue(value: string, signal?: AbortSignal): Promise<void> {
    await createUniqueKey(this.etcd, this.prefix, value, 0n, signal);
  }

  /** Takes the oldest item, waiting for one if the queue is empty. */
  async dequeue(signal?: AbortSignal): Promise<string> {
    const kv = await dequeueFirst(this.etcd, `${this.prefix}/`, { sortTarget: 'mod', sortOrder: 'ascend' }, signal);
    return kv.value.toString();
  }
}

export class PriorityQueue {
  constructor(
    private readonly etcd: Etcd,
    private readonly prefix: string,
  ) {}

  /** Lower numbers come out first. */
  async enqueue(value: string, priority: number, signal?: AbortSignal): Promise<void> {
    if (!(Number.isInteger(priority) && priority >= 0 && priority <= PRIORITY_MAX)) throw new RangeError(`priority must be 0..${PRIORITY_MAX}`);
    await createSequentialKey(this.etcd, `${this.prefix}${String(priority).padStart(PRIORITY_DIGITS, '0')}`, value, signal);
  }

  async dequeue(signal?: AbortSignal): Promise<string> {
    const kv = await dequeueFirst(this.etcd, this.prefix, { sortTarget: 'key', sortOrder: 'ascend' }, signal);
    return kv.value.toString();
  }
}

// Each round either claims an item or sees another consumer claim one (or waits for a put),
// so rounds are bounded by the items and puts in between; the cap guards against bugs.
async function dequeueFirst(etcd: Etcd, prefix: string, order: Pick<RangeOptions, 'sortTarget' | 'sortOrder'>, signal: AbortSignal | undefined): Promise<KeyValue> {
  for (let round = 0; round < WAIT_ROUNDS_MAX; round++) {
    const first = await etcd.range(prefix, { prefix: true, limit: 1, ...order, signal });
    const head = first.kvs[0];
    if (head !== undefined) {
      if (await deleteIfUnchanged(etcd, head.key, head.modRevision, signal)) return head;
      continue;
    }
    const put = await waitEvent(etcd, prefix, first.revision, ['put'], { prefix: true, signal });
    if (await deleteIfUnchanged(etcd, put.kv.key, put.kv.modRevision, signal)) return put.kv;
  }
  throw new Error(`dequeue from ${prefix}: more than ${WAIT_ROUNDS_MAX} rounds`);
}
