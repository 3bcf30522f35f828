// How the bench spreads clients over connections and workers, and how compare turns rounds
// into medians and etcd-ts/etcd ratios.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planWorkers, type RunOptions, type RunResult } from '../../bench/load-runner.js';
import { median, summarize, type RoundResult } from '../../bench/summary.js';
import { findSpec } from '../../bench/spec-table.js';
import { parseCommand, UsageError } from '../../bench/cli-args.js';

function options(overrides: Partial<RunOptions>): RunOptions {
  const spec = findSpec('put-64');
  assert.ok(spec);
  return {
    endpoints: ['127.0.0.1:1', '127.0.0.1:2'],
    spec,
    durationS: 1,
    total: undefined,
    warmupS: 0,
    ratePerS: undefined,
    connsPerWorker: 2,
    transport: 'http2',
    serverPid: undefined,
    ...overrides,
  };
}

test('64 clients over 8 connections become 4 workers of 2 connections and 16 clients each', () => {
  const setups = planWorkers(options({}));
  assert.equal(setups.length, 4);
  for (const s of setups) {
    assert.equal(s.endpoints.length, 2);
    assert.equal(s.clients.length, 16);
  }
  // Connections alternate between the two endpoints.
  assert.deepEqual(setups[0]?.endpoints, ['127.0.0.1:1', '127.0.0.1:2']);
  const ids = setups.flatMap((s) => s.clients.map((c) => c.clientId)).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: 64 }, (_, i) => i));
});

test('a count-mode total is split over clients without losing a request', () => {
  const setups = planWorkers(options({ durationS: undefined, total: 1001 }));
  const quotas = setups.flatMap((s) => s.clientQuota ?? []);
  assert.equal(quotas.length, 64);
  assert.equal(quotas.reduce((a, b) => a + b, 0), 1001);
});

test('a fixed rate is shared equally by the clients', () => {
  const [first] = planWorkers(options({ ratePerS: 6400 }));
  assert.equal(first?.clientRatePerS, 100);
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

function fakeResult(throughputPerS: number, p99Ms: number): RunResult {
  return {
    spec: 'put-64',
    endpoints: [],
    clients: 64,
    conns: 8,
    workers: 4,
    transport: 'http2',
    mode: 'closed-loop',
    ratePerS: undefined,
    measuredS: 1,
    okCount: throughputPerS,
    errorCount: 0,
    errors: {},
    throughputPerS,
    latency: { p50Ms: 1, p90Ms: 2, p99Ms, p999Ms: p99Ms, maxMs: p99Ms, meanMs: 1 },
    histogram: { buckets: [], total: 0, minUs: 0, maxUs: 0, sumUs: 0 },
    generator: { cpuS: 1, workers: 4, eventLoopUtilizationMax: 0.5, lateStarts: 0, clientsGaveUp: 0 },
    server: { cpuS: 1, cpuPerOpUs: 1, peakRssBytes: 2 ** 20, rssBytes: 2 ** 20 },
    hostLoad1m: 1,
    watch: undefined,
  };
}

test('compare reports per-server medians and etcd-ts/etcd ratios, ignoring failed rounds', () => {
  const round = (server: 'etcd' | 'etcd-ts', n: number, result: RunResult | undefined): RoundResult => ({
    spec: 'put-64',
    round: n,
    server,
    result,
    error: result ? undefined : 'did not start',
  });
  const rounds = [
    round('etcd', 1, fakeResult(1000, 10)),
    round('etcd-ts', 1, fakeResult(400, 30)),
    round('etcd', 2, fakeResult(1200, 12)),
    round('etcd-ts', 2, undefined),
    round('etcd', 3, fakeResult(1100, 50)),
    round('etcd-ts', 3, fakeResult(600, 40)),
  ];
  const s = summarize('put-64', rounds);
  assert.equal(s.medians.etcd?.rounds, 3);
  assert.equal(s.medians.etcd?.throughputPerS, 1100);
  assert.equal(s.medians.etcd?.p99Ms, 12);
  assert.equal(s.medians['etcd-ts']?.rounds, 2);
  assert.equal(s.medians['etcd-ts']?.throughputPerS, 500);
  assert.equal(s.ratios.throughputPerS, 500 / 1100);
  assert.equal(s.ratios.p99Ms, 35 / 12);
});

test('the command line rejects what would start a nonsense run', () => {
  assert.throws(() => parseCommand(['run', '--spec', 'put-1']), UsageError);
  assert.throws(() => parseCommand(['run', '--server', 'etcd', '--spec', 'nope']), UsageError);
  assert.throws(() => parseCommand(['run', '--server', 'etcd', '--spec', 'put-1', '--clients', '0']), UsageError);
  assert.throws(() => parseCommand(['compare', '--servers', 'zookeeper']), UsageError);
  const c = parseCommand(['run', '--endpoints', '127.0.0.1:2379', '--spec', 'put-64', '--clients', '16', '--total', '100']);
  assert.equal(c.kind, 'run');
  if (c.kind === 'run') {
    assert.equal(c.spec.clients, 16);
    assert.equal(c.total, 100);
    assert.equal(c.durationS, undefined);
  }
});
