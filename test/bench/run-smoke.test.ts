// Runs the load generator for about a second against a real etcd the bench itself starts,
// and checks what a user reads first: requests succeeded and the percentiles are sane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { compare } from '../../bench/compare.js';
import { runLoad } from '../../bench/load-runner.js';
import { defaultBinaries, ServerProcess } from '../../bench/server-process.js';
import { findSpec } from '../../bench/spec-table.js';

const bins = defaultBinaries();
const skip = existsSync(bins.etcd) ? false : `no etcd binary at ${bins.etcd}`;

for (const transport of ['http2', 'grpc-js'] as const) {
  test(`put-64 over ${transport} for one second against a real etcd`, { skip, timeout: 60_000 }, async () => {
    const spec = findSpec('put-64');
    assert.ok(spec);
    const server = await ServerProcess.start('etcd', bins);
    try {
      const r = await runLoad({
        endpoints: [server.endpoint],
        spec: { ...spec, clients: 8, conns: 4 },
        durationS: 1,
        total: undefined,
        warmupS: 0.2,
        ratePerS: undefined,
        connsPerWorker: 2,
        transport,
        serverPid: server.pid,
      });
      assert.equal(r.errorCount, 0, `errors: ${JSON.stringify(r.errors)}`);
      assert.ok(r.okCount > 0 && r.throughputPerS > 0, `throughput ${r.throughputPerS}`);
      assert.ok(r.latency.p50Ms > 0, `p50 ${r.latency.p50Ms}`);
      assert.ok(r.latency.p50Ms <= r.latency.p99Ms && r.latency.p99Ms <= r.latency.maxMs, JSON.stringify(r.latency));
      assert.equal(r.workers, 2);
      assert.ok(r.server && r.server.cpuS > 0 && r.server.peakRssBytes > 0, JSON.stringify(r.server));
    } finally {
      await server.stop();
    }
    assert.equal(existsSync(server.dataDir), false, 'data dir removed');
  });
}

test('a count-mode run on a pre-loaded prefix sends exactly the requested total', { skip, timeout: 60_000 }, async () => {
  const spec = findSpec('range-prefix-1000');
  assert.ok(spec);
  const server = await ServerProcess.start('etcd', bins);
  try {
    const r = await runLoad({
      endpoints: [server.endpoint],
      spec: { ...spec, clients: 3, conns: 2 },
      durationS: undefined,
      total: 50,
      warmupS: 0,
      ratePerS: undefined,
      connsPerWorker: 1,
      transport: 'http2',
      serverPid: undefined,
    });
    assert.equal(r.okCount + r.errorCount, 50);
    assert.equal(r.errorCount, 0, `errors: ${JSON.stringify(r.errors)}`);
  } finally {
    await server.stop();
  }
});

test('compare on etcd alone runs every round on a fresh server and reports medians', { skip, timeout: 60_000 }, async () => {
  const spec = findSpec('range-lin-64');
  assert.ok(spec);
  const lines: string[] = [];
  const outcome = await compare({
    specs: [{ ...spec, clients: 4, conns: 2 }],
    servers: ['etcd'],
    rounds: 2,
    binaries: bins,
    log: (line) => lines.push(line),
    durationS: 0.5,
    total: undefined,
    warmupS: 0.2,
    ratePerS: undefined,
    connsPerWorker: 2,
    transport: 'http2',
    json: undefined,
    etcdBin: undefined,
    etcdTsBin: undefined,
  });
  assert.deepEqual(outcome.rounds.map((r) => [r.round, r.server, r.error]), [
    [1, 'etcd', undefined],
    [2, 'etcd', undefined],
  ]);
  const [summary] = outcome.summaries;
  assert.equal(summary?.medians.etcd?.rounds, 2);
  assert.ok((summary?.medians.etcd?.throughputPerS ?? 0) > 0);
  assert.deepEqual(summary?.ratios, {});
  assert.equal(lines.length, 2);
});

test('rejected requests are counted by status name, the same over both transports', { skip, timeout: 60_000 }, async () => {
  const spec = findSpec('put-1');
  assert.ok(spec);
  const server = await ServerProcess.start('etcd', bins);
  try {
    for (const transport of ['http2', 'grpc-js'] as const) {
      // 2,000,000 bytes is over etcd's 1.5 MiB request limit: "etcdserver: request is too large".
      const r = await runLoad({
        endpoints: [server.endpoint],
        spec: { ...spec, valueBytes: 2_000_000 },
        durationS: undefined,
        total: 3,
        warmupS: 0,
        ratePerS: undefined,
        connsPerWorker: 1,
        transport,
        serverPid: undefined,
      });
      assert.equal(r.okCount, 0);
      assert.deepEqual(r.errors, { INVALID_ARGUMENT: 3 }, transport);
      assert.deepEqual(r.latency, { p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, meanMs: 0 });
    }
  } finally {
    await server.stop();
  }
});
