// Measures this disk's fdatasync latency and the WAL's saves per second with 1
// and 64 concurrent callers. Not a test: run it by hand with
//   node --import tsx test/wal/wal-throughput.bench.ts
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Wal } from '../../src/wal/wal.js';
import { makeEntry } from './wal-fixtures.js';

const FSYNC_SAMPLES = 200;
const SAVES_PER_RUN = 2000;
const ENTRY_DATA_BYTES = 256;

async function fdatasyncLatencyMs(dir: string): Promise<number[]> {
  const handle = await open(join(dir, 'probe'), 'w+');
  const block = new Uint8Array(4096).fill(7);
  const samples: number[] = [];
  try {
    await handle.write(new Uint8Array(FSYNC_SAMPLES * 4096), 0, FSYNC_SAMPLES * 4096, 0);
    await handle.sync();
    for (let i = 0; i < FSYNC_SAMPLES; i++) {
      await handle.write(block, 0, block.length, i * 4096);
      const startMs = performance.now();
      await handle.datasync();
      samples.push(performance.now() - startMs);
    }
  } finally {
    await handle.close();
  }
  return samples.sort((a, b) => a - b);
}

async function savesPerSecond(dir: string, callers: number): Promise<{ perSecond: number; fsyncs: number }> {
  const wal = await Wal.create(join(dir, `wal-${callers}`), new Uint8Array([1]));
  let nextIndex = 1;
  const startMs = performance.now();
  const caller = async (): Promise<void> => {
    // Each caller saves one entry at a time; the shared counter keeps indexes in call order.
    while (nextIndex <= SAVES_PER_RUN) {
      const index = nextIndex++;
      await wal.save({ term: 1, vote: 1n, commit: index - 1 }, [makeEntry(index, 1, ENTRY_DATA_BYTES)]);
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  const seconds = (performance.now() - startMs) / 1000;
  const fsyncs = wal.stats.fsyncs;
  await wal.close();
  return { perSecond: SAVES_PER_RUN / seconds, fsyncs };
}

const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-wal-bench-'));
try {
  const latency = await fdatasyncLatencyMs(dir);
  const at = (q: number): string => (latency[Math.floor(q * (latency.length - 1))] ?? 0).toFixed(2);
  console.log(`fdatasync 4 KiB: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
  for (const callers of [1, 64]) {
    const { perSecond, fsyncs } = await savesPerSecond(dir, callers);
    console.log(`${callers} caller(s): ${perSecond.toFixed(0)} saves/s, ${fsyncs} fsyncs for ${SAVES_PER_RUN} saves`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
