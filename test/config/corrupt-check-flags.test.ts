// etcd's corruption-check flags: off by default, the start-up check a bool, the
// periodic one a Go duration where 0 (or less) means off; env and YAML work too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './helpers.js';

test('corruption checks are off by default', () => {
  const { config } = run([]);
  assert.equal(config.initialCorruptCheck, false);
  assert.equal(config.corruptCheckIntervalMs, null);
});

test('--experimental-initial-corrupt-check and --experimental-corrupt-check-time turn them on', () => {
  const { config } = run(['--experimental-initial-corrupt-check', '--experimental-corrupt-check-time=2m30s']);
  assert.equal(config.initialCorruptCheck, true);
  assert.equal(config.corruptCheckIntervalMs, 150_000);
  assert.equal(run(['--experimental-corrupt-check-time=0s']).config.corruptCheckIntervalMs, null);
  assert.equal(run(['--experimental-corrupt-check-time=-1s']).config.corruptCheckIntervalMs, null);
});

test('the same settings from ETCD_* variables and the config file', () => {
  const env = { ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK: 'true', ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME: '10s' };
  const fromEnv = run([], env).config;
  assert.equal(fromEnv.initialCorruptCheck, true);
  assert.equal(fromEnv.corruptCheckIntervalMs, 10_000);
  // As in etcd's YAML, a duration is a number of nanoseconds.
  const yaml = 'experimental-initial-corrupt-check: true\nexperimental-corrupt-check-time: 60000000000\n';
  const fromFile = run(['--config-file=/etc/etcd.yml'], {}, { '/etc/etcd.yml': yaml }).config;
  assert.equal(fromFile.initialCorruptCheck, true);
  assert.equal(fromFile.corruptCheckIntervalMs, 60_000);
});
