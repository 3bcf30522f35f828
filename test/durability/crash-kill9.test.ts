// Acknowledged writes survive kill -9: concurrent clients write to a real server
// process that is SIGKILLed at seeded random moments, again and again; after each
// restart every acknowledged write is there at its revision, revisions never go
// backwards, and each client's writes form a gap-free prefix (nothing unacknowledged
// appears out of order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { RawKv } from '../support/raw-kv.js';
import { seededRandom } from '../../src/util/seeded-random.js';

const CLIENTS = 16;
const CYCLES = Number(process.env.CRASH_CYCLES ?? 5);
const SEED = Number(process.env.CRASH_SEED ?? 20261125);
const WRITE_WINDOW_MS_MIN = 150;
const WRITE_WINDOW_MS_MAX = 700;
const WRITES_PER_CLIENT_PER_CYCLE_MAX = 5000;

interface ClientLog {
  /** key -> mod revision the server acknowledged. */
  readonly acked: Map<string, number>;
  lastAckedSeq: number;
  lastAttemptedSeq: number;
}

function keyOf(client: number, seq: number): string {
  return `crash/c${String(client).padStart(2, '0')}/${String(seq).padStart(7, '0')}`;
}

async function writeUntilKilled(kv: RawKv, client: number, log: ClientLog, stop: { killed: boolean }): Promise<void> {
  for (let i = 0; i < WRITES_PER_CLIENT_PER_CYCLE_MAX && !stop.killed; i++) {
    const seq = log.lastAttemptedSeq + 1;
    log.lastAttemptedSeq = seq;
    try {
      const response = await kv.put({ key: Buffer.from(keyOf(client, seq)), value: Buffer.from(`v${seq}`) });
      log.acked.set(keyOf(client, seq), Number(response.header?.revision ?? 0));
      log.lastAckedSeq = seq;
    } catch {
      return;
    }
  }
}

async function verify(server: ServerProcess, logs: ClientLog[], floorRevision: number): Promise<number> {
  const kv = new RawKv(server.endpoint);
  try {
    const all = await kv.range({ key: Buffer.from('crash/'), rangeEnd: Buffer.from('crash0') });
    const present = new Map(all.kvs.map((kv) => [kv.key.toString(), Number(kv.modRevision)]));
    const revision = Number(all.header?.revision ?? 0);
    assert.ok(revision >= floorRevision, `revision went backwards: ${revision} < ${floorRevision}`);
    logs.forEach((log, client) => {
      for (const [key, ackedRevision] of log.acked) {
        assert.equal(present.get(key), ackedRevision, `acknowledged ${key}@${ackedRevision} missing or moved`);
      }
      let contiguous = 0;
      while (present.has(keyOf(client, contiguous + 1))) contiguous++;
      const count = [...present.keys()].filter((key) => key.startsWith(`crash/c${String(client).padStart(2, '0')}/`)).length;
      assert.equal(count, contiguous, `client ${client} has a gap: ${count} keys but only ${contiguous} in sequence`);
      assert.ok(contiguous >= log.lastAckedSeq && contiguous <= log.lastAttemptedSeq, `client ${client}: ${contiguous} outside [${log.lastAckedSeq}, ${log.lastAttemptedSeq}]`);
      // An in-flight write that did land becomes part of the known history.
      log.lastAckedSeq = contiguous;
      log.lastAttemptedSeq = contiguous;
      for (let seq = 1; seq <= contiguous; seq++) log.acked.set(keyOf(client, seq), present.get(keyOf(client, seq)) ?? -1);
    });
    return revision;
  } finally {
    kv.close();
  }
}

test(`every acknowledged write survives ${CYCLES} kill -9 cycles with ${CLIENTS} concurrent clients (seed ${SEED})`, async () => {
  const random = seededRandom(SEED);
  const server = await startServer();
  const logs: ClientLog[] = Array.from({ length: CLIENTS }, () => ({ acked: new Map(), lastAckedSeq: 0, lastAttemptedSeq: 0 }));
  let floorRevision = 0;
  let totalAcked = 0;
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const kv = new RawKv(server.endpoint);
      const stop = { killed: false };
      const writers = logs.map((log, client) => writeUntilKilled(kv, client, log, stop));
      await sleep(random.int(WRITE_WINDOW_MS_MIN, WRITE_WINDOW_MS_MAX));
      await server.kill();
      stop.killed = true;
      await Promise.all(writers);
      kv.close();
      totalAcked = logs.reduce((sum, log) => sum + log.lastAckedSeq, 0);
      await server.restart();
      floorRevision = await verify(server, logs, floorRevision);
    }
    assert.ok(totalAcked > CLIENTS, `too few writes were acknowledged to prove anything (${totalAcked})`);
    console.log(`crash test: ${CYCLES} kills, ${totalAcked} acknowledged writes checked, final revision ${floorRevision}`);
  } finally {
    await server.stop();
  }
});
