// A bounded side-by-side of this client and npm etcd3 on the same server: sequential
// and concurrent put and get. It prints throughput and latency; it asserts only that
// every operation completed and read back what was written.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { Etcd } from '../../src/client/etcd.js';
import { openFixture, type ClientFixture } from './fixture.js';

const SEQUENTIAL_OPS = 400;
const CONCURRENT_OPS = 2_000;
const CONCURRENCY = 16;
const WARMUP_OPS = 50;

interface ClientUnderTest {
  name: string;
  put(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<string | undefined>;
}

interface Measurement {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

let fx: ClientFixture;
let ours: Etcd;
let theirs: Etcd3;
before(async () => {
  fx = await openFixture();
  ours = new Etcd({ endpoints: [fx.server.endpoint] });
  theirs = new Etcd3({ hosts: fx.server.clientUrl });
});
after(async () => {
  theirs?.close();
  await ours?.close();
  await fx?.close();
});

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

// Runs `total` operations with `concurrency` in flight at once, timing each.
async function measure(total: number, concurrency: number, operation: (i: number) => Promise<unknown>): Promise<Measurement> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const opStarted = performance.now();
        await operation(i);
        latencies.push(performance.now() - opStarted);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { opsPerSecond: Math.round((total / elapsedMs) * 1000), p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

function format(measurement: Measurement): string {
  return `${String(measurement.opsPerSecond).padStart(6)} ops/s  p50 ${measurement.p50Ms.toFixed(2)} ms  p99 ${measurement.p99Ms.toFixed(2)} ms`;
}

test('put and get overhead: etcd-ts client vs npm etcd3', async (t) => {
  const clients: ClientUnderTest[] = [
    { name: 'etcd-ts client', put: (key, value) => ours.put(key, value), get: (key) => ours.getString(key) },
    { name: 'npm etcd3', put: (key, value) => theirs.put(key).value(value).exec(), get: async (key) => (await theirs.get(key).string()) ?? undefined },
  ];
  const lines: string[] = [`server: ${fx.server.target}`];
  // Two rounds, alternating clients; only the second is reported, so neither pays for warming the server or the JIT.
  const rounds = [...clients, ...clients];
  for (const [round, client] of rounds.entries()) {
    const report = round >= clients.length;
    const p = fx.prefix(`bench-${round}`);
    await measure(WARMUP_OPS, 1, (i) => client.put(`${p}warm/${i}`, 'w'));
    const putSeq = await measure(SEQUENTIAL_OPS, 1, (i) => client.put(`${p}seq/${i}`, `v${i}`));
    const getSeq = await measure(SEQUENTIAL_OPS, 1, (i) => client.get(`${p}seq/${i}`));
    const putPar = await measure(CONCURRENT_OPS, CONCURRENCY, (i) => client.put(`${p}par/${i}`, `v${i}`));
    const getPar = await measure(CONCURRENT_OPS, CONCURRENCY, (i) => client.get(`${p}par/${i}`));
    assert.equal(await client.get(`${p}seq/${SEQUENTIAL_OPS - 1}`), `v${SEQUENTIAL_OPS - 1}`);
    assert.equal(await client.get(`${p}par/${CONCURRENT_OPS - 1}`), `v${CONCURRENT_OPS - 1}`);
    assert.equal((await ours.range(`${p}par/`, { prefix: true, countOnly: true })).count, BigInt(CONCURRENT_OPS));
    if (report) lines.push(
      `${client.name}: put x1  ${format(putSeq)}`,
      `${client.name}: get x1  ${format(getSeq)}`,
      `${client.name}: put x${CONCURRENCY} ${format(putPar)}`,
      `${client.name}: get x${CONCURRENCY} ${format(getPar)}`,
    );
  }
  for (const line of lines) t.diagnostic(line);
});
