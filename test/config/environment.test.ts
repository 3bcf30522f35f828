// ETCD_* variables configure every flag; the rules when flags and variables meet are etcd's
// (messages recorded from etcd 3.4.23's pkg/flags, which 3.5 keeps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAG_DEFINITIONS, flagToEnvName } from '../../src/config/index.js';
import { failure, hrefs, run } from './helpers.js';

test('each flag has its ETCD_<UPPER_SNAKE> variable', () => {
  assert.equal(flagToEnvName('data-dir'), 'ETCD_DATA_DIR');
  assert.equal(flagToEnvName('experimental-watch-progress-notify-interval'), 'ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL');
  const names = FLAG_DEFINITIONS.filter((def) => def.name !== 'version').map((def) => def.envName);
  assert.ok(names.every((name) => name !== null && name.startsWith('ETCD_')));
});

test('variables configure the server like the matching flags', () => {
  const { config } = run([], {
    ETCD_NAME: 'infra0',
    ETCD_DATA_DIR: '/data',
    ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:2379',
    ETCD_ADVERTISE_CLIENT_URLS: 'http://127.0.0.1:2379',
    ETCD_INITIAL_ADVERTISE_PEER_URLS: 'http://127.0.0.1:2380',
    ETCD_SNAPSHOT_COUNT: '10',
    ETCD_STRICT_RECONFIG_CHECK: 'false',
    ETCD_AUTO_COMPACTION_RETENTION: '2',
    ETCD_LOG_OUTPUTS: 'stdout',
  });
  assert.equal(config.name, 'infra0');
  assert.equal(config.dataDir, '/data');
  assert.deepEqual(hrefs(config.listenClientUrls), ['http://127.0.0.1:2379/']);
  assert.deepEqual(config.initialCluster, [{ name: 'infra0', peerUrls: ['http://127.0.0.1:2380'] }]);
  assert.equal(config.snapshotCount, 10);
  assert.equal(config.strictReconfigCheck, false);
  assert.deepEqual(config.autoCompaction, { mode: 'periodic', retentionMs: 2 * 3600 * 1000 });
  assert.deepEqual(config.logOutputs, [{ kind: 'stdout' }]);
});

test('a listen client URL from a variable also needs an advertise URL, as from a flag', () => {
  assert.equal(
    failure([], { ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:2379' }).message,
    '--advertise-client-urls is required when --listen-client-urls is set explicitly',
  );
});

test('a flag and its variable together are fatal: etcd calls the variable shadowed', () => {
  const expected = 'conflicting environment variable "ETCD_NAME" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)';
  assert.deepEqual(failure(['--name', 'y'], { ETCD_NAME: 'x' }), { message: expected, exitCode: 1 });
  assert.deepEqual(failure(['--name', 'y'], { ETCD_NAME: '' }), { message: expected, exitCode: 1 });
});

test('a flag wins over the variables of other flags, which still apply', () => {
  const { config } = run(['--name', 'cli'], { ETCD_INITIAL_CLUSTER_TOKEN: 'from-env' });
  assert.equal(config.name, 'cli');
  assert.equal(config.initialClusterToken, 'from-env');
});

test('unknown ETCD_* variables, and empty known ones, are warned about; others are ignored', () => {
  const { warnings } = run(['--data-dir', '/d'], { ETCD_FOO: 'bar', ETCD_NAME: '', HOME: '/root', PATH: '/bin' });
  assert.deepEqual(warnings, ['unrecognized environment variable ETCD_FOO=bar', 'unrecognized environment variable ETCD_NAME=']);
});

test('ETCD_VERSION is special: never read, only warned about', () => {
  const { warnings } = run(['--data-dir', '/d'], { ETCD_VERSION: 'true' });
  assert.deepEqual(warnings, ['cannot set special environment variable ETCD_VERSION=true']);
});

test('a bad variable value is refused with the variable named (etcd 3.4.23 text)', () => {
  assert.deepEqual(failure([], { ETCD_SNAPSHOT_COUNT: 'abc' }), { message: 'invalid value "abc" for ETCD_SNAPSHOT_COUNT: parse error', exitCode: 1 });
  assert.equal(
    failure([], { ETCD_LISTEN_PEER_URLS: 'ftp://a:1' }).message,
    'invalid value "ftp://a:1" for ETCD_LISTEN_PEER_URLS: URL scheme must be http, https, unix, or unixs: ftp://a:1',
  );
});

test('a shadowed variable is reported before a bad value in another variable', () => {
  const { message } = failure(['--name', 'a'], { ETCD_NAME: 'b', ETCD_MAX_WALS: 'x' });
  assert.match(message, /^conflicting environment variable "ETCD_NAME"/);
});

test('variables of etcd flags that etcd-ts lacks (discovery, pprof...) are unrecognized, not silently used', () => {
  const { warnings } = run(['--data-dir', '/d'], { ETCD_DISCOVERY: 'https://x', ETCD_ENABLE_PPROF: 'true' });
  assert.deepEqual(warnings, ['unrecognized environment variable ETCD_DISCOVERY=https://x', 'unrecognized environment variable ETCD_ENABLE_PPROF=true']);
});

test('TLS flags come from their ETCD_* variables', () => {
  const { config } = run(['--data-dir', '/d'], { ETCD_CERT_FILE: '/x.pem', ETCD_KEY_FILE: '/x-key.pem', ETCD_PEER_CLIENT_CERT_AUTH: 'true' });
  assert.equal(config.tls.client.certFile, '/x.pem');
  assert.equal(config.tls.client.keyFile, '/x-key.pem');
  assert.equal(config.tls.peer.clientCertAuth, true);
});
