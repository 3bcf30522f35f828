// --config-file: etcd's YAML keys configure the server, the file replaces flags and variables,
// and bad files fail with the texts etcd 3.4.23 printed for the same files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServerArgs } from '../../src/config/index.js';
import { failure, hrefs, run } from './helpers.js';

const FULL_FILE = `
name: infra1
data-dir: /var/lib/etcd
wal-dir: /var/lib/etcd-wal
snapshot-count: 5000
heartbeat-interval: 50
election-timeout: 500
quota-backend-bytes: 4294967296
max-request-bytes: 2097152
max-txn-ops: 256
max-snapshots: 3
max-wals: 4
listen-client-urls: http://127.0.0.1:2379,http://10.0.0.1:2379
advertise-client-urls: http://10.0.0.1:2379
listen-peer-urls: http://10.0.0.1:2380
initial-advertise-peer-urls: http://10.0.0.1:2380
initial-cluster: infra1=http://10.0.0.1:2380,infra2=http://10.0.0.2:2380
initial-cluster-state: existing
initial-cluster-token: tok
strict-reconfig-check: false
auto-compaction-mode: revision
auto-compaction-retention: "1000"
logger: zap
log-level: warn
log-outputs: [stdout, /var/log/etcd.log]
backend-batch-interval: 50000000
backend-batch-limit: 500
experimental-compaction-batch-limit: 100
experimental-watch-progress-notify-interval: 5000000000
`;

test('every supported key in the file reaches the configuration', () => {
  const { config } = run(['--config-file', '/etc/etcd.yaml'], {}, { '/etc/etcd.yaml': FULL_FILE });
  assert.equal(config.configFile, '/etc/etcd.yaml');
  assert.equal(config.name, 'infra1');
  assert.equal(config.dataDir, '/var/lib/etcd');
  assert.equal(config.walDir, '/var/lib/etcd-wal');
  assert.equal(config.snapshotCount, 5000);
  assert.equal(config.heartbeatIntervalMs, 50);
  assert.equal(config.electionTimeoutMs, 500);
  assert.equal(config.quotaBackendBytes, 4294967296);
  assert.equal(config.maxRequestBytes, 2097152);
  assert.equal(config.maxTxnOps, 256);
  assert.equal(config.maxSnapshots, 3);
  assert.equal(config.maxWals, 4);
  assert.deepEqual(hrefs(config.listenClientUrls), ['http://10.0.0.1:2379/', 'http://127.0.0.1:2379/']);
  assert.deepEqual(config.advertiseClientUrls, ['http://10.0.0.1:2379']);
  assert.deepEqual(hrefs(config.listenPeerUrls), ['http://10.0.0.1:2380/']);
  assert.deepEqual(config.initialAdvertisePeerUrls, ['http://10.0.0.1:2380']);
  assert.deepEqual(config.initialCluster.map((member) => member.name), ['infra1', 'infra2']);
  assert.equal(config.initialClusterState, 'existing');
  assert.equal(config.initialClusterToken, 'tok');
  assert.equal(config.strictReconfigCheck, false);
  assert.deepEqual(config.autoCompaction, { mode: 'revision', retentionRevisions: 1000 });
  assert.equal(config.logLevel, 'warn');
  assert.deepEqual(config.logOutputs, [{ kind: 'stdout' }, { kind: 'file', path: '/var/log/etcd.log' }]);
  assert.equal(config.backendBatchIntervalMs, 50);
  assert.equal(config.backendBatchLimit, 500);
  assert.equal(config.compactionBatchLimit, 100);
  assert.equal(config.watchProgressNotifyIntervalMs, 5000);
});

test('with a file, other flags and ETCD_* variables are ignored, and etcd\'s notice says so', () => {
  const files = { '/c.yaml': 'name: from-file\n' };
  const { config, warnings } = run(['--name', 'from-flag', '--config-file=/c.yaml'], { ETCD_NAME: 'x', ETCD_FOO: 'y' }, files);
  assert.equal(config.name, 'from-file');
  assert.equal(warnings[0], 'loaded server configuration, other configuration command line flags and environment variables will be ignored if provided (path: /c.yaml)');
  assert.ok(!warnings.some((warning) => warning.includes('ETCD_FOO')));
});

test('ETCD_CONFIG_FILE names the file when the flag does not', () => {
  const { config } = run([], { ETCD_CONFIG_FILE: '/c.yaml', ETCD_NAME: 'ignored' }, { '/c.yaml': 'name: from-file\n' });
  assert.equal(config.name, 'from-file');
});

test('ignored flags must still be valid flags', () => {
  assert.equal(failure(['--config-file=/c.yaml', '--bogus'], {}, { '/c.yaml': '' }).exitCode, 2);
});

test('an empty file means all defaults; keys the file leaves out keep theirs', () => {
  assert.equal(run(['--config-file=/c.yaml'], {}, { '/c.yaml': '' }).config.name, 'default');
  const { config } = run(['--config-file=/c.yaml'], {}, { '/c.yaml': 'listen-client-urls: http://127.0.0.1:2379\n' });
  assert.deepEqual(config.advertiseClientUrls, ['http://localhost:2379']);
});

test('YAML 1.1 booleans, repeated keys and case-insensitive keys are read as etcd reads them', () => {
  const file = 'strict-reconfig-check: off\nname: first\nname: second\nMax-Txn-Ops: 7\n';
  const { config } = run(['--config-file=/c.yaml'], {}, { '/c.yaml': file });
  assert.equal(config.strictReconfigCheck, false);
  assert.equal(config.name, 'second');
  assert.equal(config.maxTxnOps, 7);
});

test('unknown keys are ignored; etcd keys etcd-ts lacks are ignored with a warning', () => {
  const file = 'whatever: 1\nenable-pprof: true\n';
  const { warnings } = run(['--config-file=/c.yaml'], {}, { '/c.yaml': file });
  assert.ok(!warnings.some((warning) => warning.includes('whatever')));
  assert.ok(warnings.includes('config file key "enable-pprof" is not supported by etcd-ts yet and is ignored'));
});

// Each message below is what etcd 3.4.23 logged ("error verifying flags, <message>") for the file.
const ETCD_3_4_23_FILE_ERRORS: readonly (readonly [string, string])[] = [
  ['snapshot-count: abc\n', 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field configYAML.snapshot-count of type uint64'],
  ['snapshot-count: -1\n', 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number -1 into Go struct field configYAML.snapshot-count of type uint64'],
  ['heartbeat-interval: 1.5\n', 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number 1.5 into Go struct field configYAML.heartbeat-interval of type uint'],
  ['backend-batch-interval: 5s\n', 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field configYAML.backend-batch-interval of type time.Duration'],
  ['log-outputs: stderr\n', 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field configYAML.log-outputs of type []string'],
  ['listen-client-urls: [http://127.0.0.1:23999]\n', 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field configYAML.listen-client-urls of type string'],
  ['name: 123\n', 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field configYAML.name of type string'],
  ['auto-compaction-retention: 1\n', 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field configYAML.auto-compaction-retention of type string'],
  ['max-wals: 18446744073709551616\n', 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number 18446744073709552000 into Go struct field configYAML.max-wals of type uint'],
  ['- a\n- b\n', 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type embed.configYAML'],
  ['listen-client-urls: foo\n', 'unexpected error setting up listen-client-urls: URL scheme must be http, https, unix, or unixs: foo'],
  ['initial-cluster-state: bogus\n', 'unexpected clusterState "bogus"'],
  ['election-timeout: 400\n', '--election-timeout[400ms] should be at least as 5 times as --heartbeat-interval[100ms]'],
];

test('badly typed or invalid values fail with etcd\'s message and exit code 1', () => {
  for (const [file, message] of ETCD_3_4_23_FILE_ERRORS) {
    assert.deepEqual(failure(['--config-file=/c.yaml'], {}, { '/c.yaml': file }), { message, exitCode: 1 }, file);
  }
});

test('a missing file is refused with Go\'s open error', () => {
  assert.deepEqual(failure(['--config-file=/nope.yaml']), { message: 'open /nope.yaml: no such file or directory', exitCode: 1 });
});

test('unparsable YAML is refused with the line it breaks on', () => {
  const { message, exitCode } = failure(['--config-file=/c.yaml'], {}, { '/c.yaml': 'name: a\nfoo: [\n' });
  assert.equal(exitCode, 1);
  assert.match(message, /^error converting YAML to JSON: yaml: line \d+: /);
});

test('a real file on disk is read with the default reader, and a missing one is reported', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-config-'));
  try {
    const path = join(dir, 'etcd.yaml');
    await writeFile(path, 'name: on-disk\n');
    const result = parseServerArgs(['--config-file', path], {});
    assert.equal(result.kind === 'run' ? result.config.name : result.kind, 'on-disk');
    const missing = join(dir, 'missing.yaml');
    assert.deepEqual(parseServerArgs(['--config-file', missing], {}), {
      kind: 'error', message: `open ${missing}: no such file or directory`, exitCode: 1,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('only the first YAML document counts, as with etcd 3.4.23', () => {
  const { config } = run(['--config-file=/c.yaml'], {}, { '/c.yaml': 'name: x\n---\nname: y\n' });
  assert.equal(config.name, 'x');
});
