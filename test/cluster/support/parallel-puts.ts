// Many puts to a cluster member from a bounded number of concurrent writers, each
// put retried a few times so a leader change in the middle does not fail the load.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RawKv } from '../../support/raw-kv.js';

const WRITERS = 32;
const ATTEMPTS_MAX = 5;
const RETRY_PAUSE_MS = 200;

export async function putAll(kv: RawKv, count: number, keyOf: (i: number) => Buffer, valueOf: (i: number) => Buffer): Promise<void> {
  let next = 0;
  const writer = async (): Promise<void> => {
    // Each pass takes one index; `count` bounds the loop.
    while (next < count) {
      const i = next++;
      for (let attempt = 1; ; attempt++) {
        try {
          await kv.put({ key: keyOf(i), value: valueOf(i) });
          break;
        } catch (error) {
          if (attempt >= ATTEMPTS_MAX) throw error;
          await sleep(RETRY_PAUSE_MS);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}
