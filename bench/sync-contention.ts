// Durable WAL-sized writes with and without other threads wanting the CPU: shows how
// much of a slow "WAL sync" is the disk and how much is the writer waiting to be
// scheduled again after the disk is done. Each writer thread appends records to its
// own zero-filled file opened with O_DSYNC (as the WAL does), pausing between writes;
// spinner threads, when asked for, keep the cores busy meanwhile.
// Usage: node dist/bench/sync-contention.js [--writers 3] [--writes 5000] [--gap-us 500]
//        [--spinners 2] [--record-bytes 368]
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { numberFlag } from './flag-number.js';
import { Histogram, type HistogramData } from './histogram.js';

const FILE_BYTES = 64 * 1024 * 1024;
const ZERO_CHUNK_BYTES = 1024 * 1024;
const SLOW_WRITE_US = 1000;
const WRITERS_MAX = 16;
const WRITES_MAX = 1_000_000;
const SPINNERS_MAX = 16;

interface WriterTask {
  readonly kind: 'writer';
  readonly path: string;
  readonly writes: number;
  readonly gapUs: number;
  readonly recordBytes: number;
}
interface SpinnerTask {
  readonly kind: 'spinner';
  readonly stop: SharedArrayBuffer;
}
type Task = WriterTask | SpinnerTask;

/** One writer's latencies, and how many writes took longer than SLOW_WRITE_US (exact, not from buckets). */
interface WriterResult {
  readonly latencies: HistogramData;
  readonly slow: number;
}

/** Fills the file with zeros and syncs it, as the WAL prepares a segment, then appends records. */
function runWriter(task: WriterTask): WriterResult {
  const prepare = openSync(task.path, 'w');
  const zeros = Buffer.alloc(ZERO_CHUNK_BYTES);
  for (let at = 0; at < FILE_BYTES; at += ZERO_CHUNK_BYTES) writeSync(prepare, zeros, 0, zeros.length, at);
  closeSync(prepare);
  const fd = openSync(task.path, constants.O_RDWR | constants.O_DSYNC);
  const record = Buffer.alloc(task.recordBytes, 7);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const latencies = new Histogram();
  let slow = 0;
  try {
    for (let i = 0; i < task.writes; i++) {
      const startMs = performance.now();
      writeSync(fd, record, 0, record.length, i * task.recordBytes);
      const tookUs = (performance.now() - startMs) * 1000;
      latencies.record(tookUs);
      if (tookUs > SLOW_WRITE_US) slow++;
      Atomics.wait(pause, 0, 0, task.gapUs / 1000);
    }
  } finally {
    closeSync(fd);
  }
  return { latencies: latencies.toData(), slow };
}

function runSpinner(task: SpinnerTask): void {
  const stop = new Int32Array(task.stop);
  let x = 0;
  // Spins until told to stop; the main thread always sets the flag after the writers end.
  while (Atomics.load(stop, 0) === 0) for (let i = 0; i < 100_000; i++) x = (x + i) | 0;
  parentPort?.postMessage(x);
}

function start(task: Task): Worker {
  return new Worker(new URL(import.meta.url), { workerData: task });
}

function resultOf(worker: Worker): Promise<WriterResult> {
  return new Promise((resolve, reject) => {
    worker.once('message', (value: WriterResult) => resolve(value));
    worker.once('error', reject);
  });
}

function summary(label: string, results: readonly WriterResult[]): string {
  const latencies = new Histogram();
  let slow = 0;
  for (const result of results) {
    latencies.merge(result.latencies);
    slow += result.slow;
  }
  const { p50Ms, p99Ms, maxMs } = latencies.percentiles();
  const pct = ((100 * slow) / Math.max(1, latencies.count())).toFixed(2);
  return `${label.padEnd(12)} writes ${latencies.count()}  p50 ${p50Ms.toFixed(3)} ms  p99 ${p99Ms.toFixed(3)} ms  max ${maxMs.toFixed(3)} ms  > ${SLOW_WRITE_US / 1000} ms ${pct}%`;
}

async function round(spinners: number, writers: number, writes: number, gapUs: number, recordBytes: number): Promise<WriterResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sync-contention-'));
  const stop = new SharedArrayBuffer(4);
  const spinning = Array.from({ length: spinners }, () => start({ kind: 'spinner', stop }));
  try {
    const writing = Array.from({ length: writers }, (_, i) =>
      resultOf(start({ kind: 'writer', path: join(dir, `w${i}`), writes, gapUs, recordBytes })),
    );
    return await Promise.all(writing);
  } finally {
    Atomics.store(new Int32Array(stop), 0, 1);
    await Promise.all(spinning.map((worker) => new Promise((resolve) => worker.once('exit', resolve))));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const writers = numberFlag('writers', 3, { integer: true, max: WRITERS_MAX });
  const writes = numberFlag('writes', 5000, { integer: true, max: WRITES_MAX });
  const gapUs = numberFlag('gap-us', 500, { integer: true, max: 1_000_000 });
  const spinners = numberFlag('spinners', 2, { integer: true, max: SPINNERS_MAX });
  const recordBytes = numberFlag('record-bytes', 368, { integer: true, max: ZERO_CHUNK_BYTES });
  console.log(`${writers} writers, ${writes} O_DSYNC writes of ${recordBytes} bytes each, ${gapUs} µs apart, files in ${tmpdir()}`);
  console.log(summary('idle cores', await round(0, writers, writes, gapUs, recordBytes)));
  console.log(summary(`${spinners} spinners`, await round(spinners, writers, writes, gapUs, recordBytes)));
}

if (isMainThread) {
  await main();
} else {
  const task = workerData as Task;
  if (task.kind === 'writer') parentPort?.postMessage(runWriter(task));
  else runSpinner(task);
}
