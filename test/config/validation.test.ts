// The start-up checks etcd makes on a parsed configuration, in etcd's order, with the texts
// etcd 3.4.23 logged as "failed to verify flags" (or at start) for the same arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_QUOTA_BACKEND_BYTES } from '../../src/config/index.js';
import { failure, run } from './helpers.js';

const ETCD_3_4_23_VERIFY_ERRORS: readonly (readonly [readonly string[], string])[] = [
  [['--heartbeat-interval', '0'], '--heartbeat-interval must be >0 (set to 0ms)'],
  [['--election-timeout', '400'], '--election-timeout[400ms] should be at least as 5 times as --heartbeat-interval[100ms]'],
  [['--election-timeout', '50001'], '--election-timeout[50001ms] is too long, and should be set less than 50000ms'],
  [['--auto-compaction-mode', 'foo'], 'unknown auto-compaction-mode "foo"'],
  [['--auto-compaction-retention', '1x'], 'error parsing CompactionRetention: time: unknown unit "x" in duration "1x"'],
  [['--logger', 'foo'], 'unknown logger option "foo"'],
  [['--log-outputs', 'default,stderr'], 'multi logoutput for "default" is not supported yet'],
  [['--listen-client-urls', 'http://example.com:23999', '--advertise-client-urls', 'http://127.0.0.1:23999'], 'expected IP in URL for binding (http://example.com:23999)'],
  [['--advertise-client-urls', 'http://:23999'], '--advertise-client-urls "http://:23999" must be "host:port" (unexpected empty host (http://:23999))'],
  [['--listen-client-urls', 'http://127.0.0.1:2379'], '--advertise-client-urls is required when --listen-client-urls is set explicitly'],
  [['--initial-cluster', 'n1=foo'], 'error setting up initial cluster: URL scheme must be http, https, unix, or unixs: foo'],
];

test('configurations etcd refuses are refused with its message and exit code 1', () => {
  for (const [argv, message] of ETCD_3_4_23_VERIFY_ERRORS) {
    assert.deepEqual(failure(argv), { message, exitCode: 1 }, argv.join(' '));
  }
});

test('etcd 3.5 removed the capnslog logger', () => {
  assert.deepEqual(failure(['--logger', 'capnslog']), { message: '--logger=capnslog is removed in v3.5', exitCode: 1 });
});

test('an unknown log level is refused (etcd panics with the same words)', () => {
  assert.deepEqual(failure(['--log-level', 'WARN']), { message: 'unknown level "WARN"', exitCode: 1 });
});

test('the first failing check in etcd\'s order is the one reported', () => {
  const { message } = failure(['--logger', 'foo', '--election-timeout', '1']);
  assert.equal(message, 'unknown logger option "foo"');
});

test('heartbeat and election timeout exactly 1:5 are accepted', () => {
  const { config } = run(['--heartbeat-interval', '200', '--election-timeout', '1000']);
  assert.equal(config.heartbeatIntervalMs, 200);
});

test('listen URLs may be unix sockets, IPv6 literals or localhost; advertise URLs may be names', () => {
  const { config } = run([
    '--listen-client-urls', 'unix://localhost:2379,http://[::1]:2379',
    '--advertise-client-urls', 'http://etcd.example.com:2379',
  ]);
  assert.deepEqual(config.listenClientUrls.map((url) => url.protocol), ['http:', 'unix:']);
  assert.deepEqual(config.advertiseClientUrls, ['http://etcd.example.com:2379']);
});

test('a renamed member with the default cluster gets a one-member cluster of its own', () => {
  const { config } = run(['--name', 'n1', '--initial-advertise-peer-urls', 'http://127.0.0.1:2480,http://10.0.0.1:2380']);
  assert.deepEqual(config.initialCluster, [{ name: 'n1', peerUrls: ['http://10.0.0.1:2380', 'http://127.0.0.1:2480'] }]);
});

test('with the default name the default cluster stays, even if the advertise URL moved', () => {
  const { config } = run(['--initial-advertise-peer-urls', 'http://127.0.0.1:2480']);
  assert.deepEqual(config.initialCluster, [{ name: 'default', peerUrls: ['http://localhost:2380'] }]);
});

test('a name listed twice in --initial-cluster collects both peer URLs, sorted', () => {
  const { config } = run(['--initial-cluster', 'a=http://10.0.0.2:2380,b=http://10.0.0.3:2380,a=http://10.0.0.1:2380']);
  assert.deepEqual(config.initialCluster, [
    { name: 'a', peerUrls: ['http://10.0.0.1:2380', 'http://10.0.0.2:2380'] },
    { name: 'b', peerUrls: ['http://10.0.0.3:2380'] },
  ]);
});

test('periodic retention: a bare integer is hours, a duration is exact', () => {
  assert.deepEqual(run(['--auto-compaction-retention', '1']).config.autoCompaction, { mode: 'periodic', retentionMs: 3_600_000 });
  assert.deepEqual(run(['--auto-compaction-retention', '1h30m']).config.autoCompaction, { mode: 'periodic', retentionMs: 5_400_000 });
  assert.equal(run(['--auto-compaction-retention', '0s']).config.autoCompaction, null);
});

test('revision retention takes a count; a duration there is kept as etcd keeps it, with a warning', () => {
  const { config, warnings } = run(['--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1s']);
  assert.deepEqual(config.autoCompaction, { mode: 'revision', retentionRevisions: 1_000_000_000 });
  assert.ok(warnings.some((warning) => warning.includes('used as the number of revisions')));
  assert.deepEqual(failure(['--auto-compaction-retention', '-1']).message, 'error parsing CompactionRetention: time: missing unit in duration "-1"');
});

test('quota: negative disables it, above 8 GiB warns like etcd', () => {
  assert.equal(run(['--quota-backend-bytes', '-1']).config.quotaBackendBytes, null);
  const { config, warnings } = run(['--quota-backend-bytes', '9000000000']);
  assert.equal(config.quotaBackendBytes, 9000000000);
  assert.ok(warnings.includes(`quota exceeds the maximum value: quota-size-bytes=9000000000 quota-maximum-size-bytes=${MAX_QUOTA_BACKEND_BYTES}`));
});

test('a request limit above 10 MiB is accepted with etcd\'s warning', () => {
  const { warnings } = run(['--max-request-bytes', String(11 * 1024 * 1024)]);
  assert.ok(warnings.some((warning) => warning.startsWith('exceeded recommended request limit')));
});

test('a progress notify interval under 100ms is raised to 100ms; zero means the default', () => {
  const { config, warnings } = run(['--experimental-watch-progress-notify-interval', '10ms']);
  assert.equal(config.watchProgressNotifyIntervalMs, 100);
  assert.ok(warnings.some((warning) => warning.startsWith('adjusting watch progress notify interval')));
  assert.equal(run(['--experimental-watch-progress-notify-interval', '0s']).config.watchProgressNotifyIntervalMs, 600_000);
});

test('a negative backend batch interval is refused rather than crashing later', () => {
  assert.equal(failure(['--backend-batch-interval', '-1s']).exitCode, 1);
});
