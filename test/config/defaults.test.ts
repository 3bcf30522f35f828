// With no flags, no variables and no file, the server gets etcd's defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_QUOTA_BACKEND_BYTES, MAX_QUOTA_BACKEND_BYTES } from '../../src/config/index.js';
import { hrefs, run } from './helpers.js';

test('a bare "etcd" runs one member named default on localhost 2379/2380', () => {
  const { config } = run([]);
  assert.equal(config.name, 'default');
  assert.equal(config.dataDir, 'default.etcd');
  assert.equal(config.walDir, null);
  assert.deepEqual(hrefs(config.listenClientUrls), ['http://localhost:2379/']);
  assert.deepEqual(config.advertiseClientUrls, ['http://localhost:2379']);
  assert.deepEqual(hrefs(config.listenPeerUrls), ['http://localhost:2380/']);
  assert.deepEqual(config.initialAdvertisePeerUrls, ['http://localhost:2380']);
  assert.deepEqual(config.initialCluster, [{ name: 'default', peerUrls: ['http://localhost:2380'] }]);
  assert.equal(config.initialClusterState, 'new');
  assert.equal(config.initialClusterToken, 'etcd-cluster');
  assert.equal(config.configFile, null);
});

test('the limits default to etcd 3.5 values, with the 2 GiB quota resolved', () => {
  const { config } = run([]);
  assert.equal(config.snapshotCount, 100000);
  assert.equal(config.heartbeatIntervalMs, 100);
  assert.equal(config.electionTimeoutMs, 1000);
  assert.equal(config.quotaBackendBytes, DEFAULT_QUOTA_BACKEND_BYTES);
  assert.equal(DEFAULT_QUOTA_BACKEND_BYTES, 2 * 1024 ** 3);
  assert.equal(MAX_QUOTA_BACKEND_BYTES, 8 * 1024 ** 3);
  assert.equal(config.maxRequestBytes, 1572864);
  assert.equal(config.maxTxnOps, 128);
  assert.equal(config.maxSnapshots, 5);
  assert.equal(config.maxWals, 5);
  assert.equal(config.strictReconfigCheck, true);
  assert.equal(config.backendBatchIntervalMs, 100);
  assert.equal(config.backendBatchLimit, 10000);
  assert.equal(config.compactionBatchLimit, 1000);
  assert.equal(config.watchProgressNotifyIntervalMs, 10 * 60 * 1000);
});

test('logging defaults to zap at info on stderr, and auto compaction is off', () => {
  const { config } = run([]);
  assert.equal(config.logger, 'zap');
  assert.equal(config.logLevel, 'info');
  assert.deepEqual(config.logOutputs, [{ kind: 'stderr' }]);
  assert.equal(config.autoCompaction, null);
});

test('like etcd, an empty data dir is reported when it falls back to ${name}.etcd', () => {
  const { warnings } = run(['--name', 'infra1']);
  assert.deepEqual(warnings, ["'data-dir' was empty; using default: infra1.etcd"]);
});
