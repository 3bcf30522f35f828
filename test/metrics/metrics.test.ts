// /metrics on the client port: Prometheus text with etcd's metric names, and the
// numbers move when the member works (writes, fsyncs, gRPC calls, failed calls).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type ServerProcess } from '../support/server-process.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const WRITES = 5;

let server: ServerProcess;
before(async () => {
  server = await startServer({ target: 'etcd-ts', name: 'metrics' });
});
after(async () => {
  await server?.stop();
});

/** One sample per series, keyed as it is written: name{label="value",...} with labels sorted. */
type Samples = ReadonlyMap<string, number>;

function parsePrometheusText(text: string): Samples {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const [, name = '', labelText = '', value = ''] = match;
    const labels = [...labelText.matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map(([, key, val]) => `${key}="${val}"`).sort();
    samples.set(labels.length === 0 ? name : `${name}{${labels.join(',')}}`, Number(value));
  }
  return samples;
}

async function scrape(): Promise<Samples> {
  const response = await fetch(`${server.clientUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

function sample(samples: Samples, series: string): number {
  const value = samples.get(series);
  assert.notEqual(value, undefined, `no series ${series}`);
  return value ?? Number.NaN;
}

const grpc = (kind: 'started' | 'handled', method: string, code?: string): string =>
  `grpc_server_${kind}_total{${code === undefined ? '' : `grpc_code="${code}",`}grpc_method="${method}",grpc_service="etcdserverpb.KV",grpc_type="unary"}`;

test('a fresh member reports its leader, versions and process metrics', async () => {
  const samples = await scrape();
  assert.equal(sample(samples, 'etcd_server_has_leader'), 1);
  assert.ok(sample(samples, 'etcd_server_leader_changes_seen_total') >= 1);
  assert.equal(sample(samples, 'etcd_server_version{server_version="3.5.17"}'), 1);
  assert.equal(sample(samples, 'etcd_cluster_version{cluster_version="3.5"}'), 1);
  assert.ok(sample(samples, 'etcd_mvcc_db_total_size_in_bytes') > 0);
  assert.ok(sample(samples, 'process_cpu_seconds_total') > 0);
  assert.ok(sample(samples, 'process_resident_memory_bytes') > 0);
});

test('writes move the proposal, key, fsync and gRPC counters; a bad request counts under its code', async () => {
  const before = await scrape();
  for (let i = 0; i < WRITES; i++) {
    const response = await fetch(`${server.clientUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b64(`metrics/${i}`), value: b64('v') }) });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  }
  const bad = await fetch(`${server.clientUrl}/v3/kv/range`, { method: 'POST', body: '{}' });
  assert.equal(bad.status, 400);
  await bad.arrayBuffer();
  const after = await scrape();
  const moved = (series: string): number => sample(after, series) - (before.get(series) ?? 0);
  assert.ok(moved('etcd_server_proposals_committed_total') >= WRITES);
  assert.ok(moved('etcd_server_proposals_applied_total') >= WRITES);
  assert.equal(moved('etcd_debugging_mvcc_keys_total'), WRITES);
  assert.ok(moved('etcd_disk_wal_fsync_duration_seconds_count') >= 1);
  assert.equal(
    sample(after, 'etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"}'),
    sample(after, 'etcd_disk_wal_fsync_duration_seconds_count'),
  );
  assert.equal(moved(grpc('started', 'Put')), WRITES);
  assert.equal(moved(grpc('handled', 'Put', 'OK')), WRITES);
  assert.equal(moved(grpc('handled', 'Range', 'InvalidArgument')), 1);
  assert.equal(sample(after, 'etcd_server_proposals_pending'), 0);
});

test('backend commits are timed in etcd_disk_backend_commit_duration_seconds', async () => {
  const response = await fetch(`${server.clientUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b64('metrics/commit'), value: b64('v') }) });
  assert.equal(response.status, 200);
  await response.arrayBuffer();
  // The backend commits in batches behind the WAL (every 100 ms at most), so wait for one.
  let samples = await scrape();
  for (let attempt = 0; attempt < 30 && sample(samples, 'etcd_disk_backend_commit_duration_seconds_count') < 1; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    samples = await scrape();
  }
  assert.ok(sample(samples, 'etcd_disk_backend_commit_duration_seconds_count') >= 1);
  assert.equal(
    sample(samples, 'etcd_disk_backend_commit_duration_seconds_bucket{le="+Inf"}'),
    sample(samples, 'etcd_disk_backend_commit_duration_seconds_count'),
  );
  assert.ok(sample(samples, 'etcd_disk_backend_commit_duration_seconds_sum') > 0);
});
