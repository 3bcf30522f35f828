// Runs the watch and lease keep-alive loads for about a second against a real etcd the bench
// starts, and checks what a user reads: every expected event arrived, renewals were answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { runLoad, type RunOptions } from '../../bench/load-runner.js';
import { defaultBinaries, ServerProcess } from '../../bench/server-process.js';
import { findSpec, type Spec } from '../../bench/spec-table.js';
import { summarize } from '../../bench/summary.js';

const bins = defaultBinaries();
const skip = existsSync(bins.etcd) ? false : `no etcd binary at ${bins.etcd}`;

async function runOnEtcd(spec: Spec, overrides: Partial<RunOptions>): Promise<Awaited<ReturnType<typeof runLoad>>> {
  const server = await ServerProcess.start('etcd', bins);
  try {
    const options: RunOptions = { endpoints: [server.endpoint], spec, durationS: 1, total: undefined, warmupS: 0.3, ratePerS: undefined, connsPerWorker: 2, transport: 'http2', serverPid: server.pid };
    return await runLoad({ ...options, ...overrides });
  } finally {
    await server.stop();
  }
}

test('watch-10000 scaled down: 200 watchers on 20 keys get every event of 200 puts/s', { skip, timeout: 60_000 }, async () => {
  const base = findSpec('watch-10000');
  assert.ok(base && base.operation.kind === 'watch');
  const spec: Spec = { ...base, clients: 200, conns: 2, operation: { ...base.operation, watchedKeys: 20, writers: 4 } };
  const r = await runOnEtcd(spec, { ratePerS: 200 });
  assert.equal(r.errorCount, 0, JSON.stringify(r.errors));
  assert.ok(r.watch, 'watch summary');
  assert.ok(r.watch.putsAcked >= 150, `puts ${r.watch.putsAcked}`);
  assert.equal(r.watch.expectedEvents, r.watch.putsAcked * 10);
  assert.equal(r.watch.deliveredEvents, r.watch.expectedEvents);
  assert.equal(r.okCount, r.watch.deliveredEvents);
  assert.ok(r.latency.p50Ms > 0 && r.latency.p50Ms <= r.latency.maxMs, JSON.stringify(r.latency));
  assert.ok(r.watch.ackToEvent.p99Ms <= r.latency.p99Ms, 'ack -> event is never longer than send -> event');
  assert.equal(r.mode, 'fixed-rate');
  const summary = summarize(spec.name, [{ spec: spec.name, round: 1, server: 'etcd', result: r, error: undefined }]);
  assert.equal(summary.medians.etcd?.deliveredFraction, 1);
});

test('lease keep-alive scaled down: 500 leases renewed by 8 clients on 2 streams', { skip, timeout: 60_000 }, async () => {
  const base = findSpec('lease-keepalive-10000');
  assert.ok(base && base.operation.kind === 'lease-keep-alive');
  const spec: Spec = { ...base, clients: 8, conns: 2, operation: { ...base.operation, leases: 500 } };
  const r = await runOnEtcd(spec, {});
  assert.equal(r.errorCount, 0, JSON.stringify(r.errors));
  assert.ok(r.okCount > 100 && r.throughputPerS > 100, `renewals ${r.okCount}`);
  assert.equal(r.watch, undefined);
  const counted = await runOnEtcd(spec, { durationS: undefined, total: 300, warmupS: 0 });
  assert.equal(counted.okCount + counted.errorCount, 300);
});
