// Every accepted flag works in each spelling Go's flag package allows, and the command line
// fails the way etcd's does (real etcd outputs are recorded below as the expectation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAG_DEFINITIONS, parseServerArgs, type ServerConfig } from '../../src/config/index.js';
import { failure, hrefs, run } from './helpers.js';

interface FlagCase {
  readonly flag: string;
  readonly value: string;
  /** Other flags the value needs to be valid (e.g. the advertise URL for a listen URL). */
  readonly companions?: readonly string[];
  readonly observe: (config: ServerConfig) => unknown;
  readonly expected: unknown;
}

const FLAG_CASES: readonly FlagCase[] = [
  { flag: 'name', value: 'infra1', observe: (c) => [c.name, c.dataDir], expected: ['infra1', 'infra1.etcd'] },
  { flag: 'data-dir', value: '/var/lib/etcd', observe: (c) => c.dataDir, expected: '/var/lib/etcd' },
  { flag: 'wal-dir', value: '/wal', observe: (c) => c.walDir, expected: '/wal' },
  {
    flag: 'listen-client-urls', value: 'http://127.0.0.1:12379,http://10.0.0.1:2379',
    companions: ['--advertise-client-urls=http://10.0.0.1:2379'],
    observe: (c) => hrefs(c.listenClientUrls), expected: ['http://10.0.0.1:2379/', 'http://127.0.0.1:12379/'],
  },
  { flag: 'advertise-client-urls', value: 'http://10.0.0.1:2379', observe: (c) => c.advertiseClientUrls, expected: ['http://10.0.0.1:2379'] },
  { flag: 'listen-peer-urls', value: 'http://127.0.0.1:12380', observe: (c) => hrefs(c.listenPeerUrls), expected: ['http://127.0.0.1:12380/'] },
  {
    flag: 'initial-advertise-peer-urls', value: 'http://10.0.0.1:2380',
    companions: ['--initial-cluster=default=http://10.0.0.1:2380'],
    observe: (c) => c.initialAdvertisePeerUrls, expected: ['http://10.0.0.1:2380'],
  },
  {
    flag: 'initial-cluster', value: 'a=http://10.0.0.1:2380,b=http://10.0.0.2:2380',
    observe: (c) => c.initialCluster,
    expected: [{ name: 'a', peerUrls: ['http://10.0.0.1:2380'] }, { name: 'b', peerUrls: ['http://10.0.0.2:2380'] }],
  },
  { flag: 'initial-cluster-state', value: 'existing', observe: (c) => c.initialClusterState, expected: 'existing' },
  { flag: 'initial-cluster-token', value: 'tok', observe: (c) => c.initialClusterToken, expected: 'tok' },
  { flag: 'snapshot-count', value: '5000', observe: (c) => c.snapshotCount, expected: 5000 },
  { flag: 'heartbeat-interval', value: '50', observe: (c) => c.heartbeatIntervalMs, expected: 50 },
  { flag: 'election-timeout', value: '2500', observe: (c) => c.electionTimeoutMs, expected: 2500 },
  { flag: 'quota-backend-bytes', value: '1048576', observe: (c) => c.quotaBackendBytes, expected: 1048576 },
  { flag: 'max-request-bytes', value: '1024', observe: (c) => c.maxRequestBytes, expected: 1024 },
  { flag: 'max-txn-ops', value: '64', observe: (c) => c.maxTxnOps, expected: 64 },
  { flag: 'max-snapshots', value: '0', observe: (c) => c.maxSnapshots, expected: 0 },
  { flag: 'max-wals', value: '9', observe: (c) => c.maxWals, expected: 9 },
  { flag: 'auto-compaction-retention', value: '30m', observe: (c) => c.autoCompaction, expected: { mode: 'periodic', retentionMs: 1_800_000 } },
  {
    flag: 'auto-compaction-mode', value: 'revision', companions: ['--auto-compaction-retention=1000'],
    observe: (c) => c.autoCompaction, expected: { mode: 'revision', retentionRevisions: 1000 },
  },
  { flag: 'logger', value: 'zap', observe: (c) => c.logger, expected: 'zap' },
  { flag: 'log-level', value: 'debug', observe: (c) => c.logLevel, expected: 'debug' },
  {
    flag: 'log-outputs', value: 'stdout,/var/log/etcd.log,stdout',
    observe: (c) => c.logOutputs, expected: [{ kind: 'file', path: '/var/log/etcd.log' }, { kind: 'stdout' }],
  },
  { flag: 'strict-reconfig-check', value: 'false', observe: (c) => c.strictReconfigCheck, expected: false },
  { flag: 'experimental-compaction-batch-limit', value: '200', observe: (c) => c.compactionBatchLimit, expected: 200 },
  { flag: 'backend-batch-interval', value: '250ms', observe: (c) => c.backendBatchIntervalMs, expected: 250 },
  { flag: 'backend-batch-limit', value: '77', observe: (c) => c.backendBatchLimit, expected: 77 },
  { flag: 'experimental-watch-progress-notify-interval', value: '5s', observe: (c) => c.watchProgressNotifyIntervalMs, expected: 5000 },
];

// A boolean flag takes its value only after '=' (tested separately below).
const BOOLEAN_FLAGS: ReadonlySet<string> = new Set(['strict-reconfig-check']);

for (const { flag, value, companions = [], observe, expected } of FLAG_CASES) {
  test(`--${flag} is read from "--${flag} v", "--${flag}=v", "-${flag} v" and "-${flag}=v"`, () => {
    const joined = [[`--${flag}=${value}`], [`-${flag}=${value}`]];
    const separate = [[`--${flag}`, value], [`-${flag}`, value]];
    const spellings = BOOLEAN_FLAGS.has(flag) ? joined : [...joined, ...separate];
    for (const spelling of spellings) {
      const { config } = run([...spelling, ...companions]);
      assert.deepEqual(observe(config), expected, `spelling ${spelling.join(' ')}`);
    }
  });
}

test('numbers are read as Go reads them: hex, octal and digit separators', () => {
  assert.equal(run(['--max-txn-ops=0x10']).config.maxTxnOps, 16);
  assert.equal(run(['--max-txn-ops=010']).config.maxTxnOps, 8);
  assert.equal(run(['--max-txn-ops=1_000']).config.maxTxnOps, 1000);
});

test('a boolean flag alone means true, and takes =false but not a separate word', () => {
  assert.equal(run(['--strict-reconfig-check=false', '--strict-reconfig-check']).config.strictReconfigCheck, true);
  assert.equal(run(['-strict-reconfig-check=0']).config.strictReconfigCheck, false);
  assert.deepEqual(failure(['--strict-reconfig-check', 'false']), { message: "'false' is not a valid flag", exitCode: 1 });
});

test('the last of a repeated flag wins, and a flag value may start with a dash', () => {
  assert.equal(run(['--name', 'a', '--name', 'b']).config.name, 'b');
  assert.equal(run(['--name', '-odd']).config.name, '-odd');
});

// Recorded from Debian's etcd 3.4.23 (`etcd --nonexistent`, exit status 2); etcd 3.5 uses the
// same Go flag package. Its usage block is etcd's own prose, so we print our own after the
// same first line.
const ETCD_3_4_23_UNKNOWN_FLAG_STDERR_FIRST_LINE = 'flag provided but not defined: -nonexistent';
const ETCD_3_4_23_UNKNOWN_FLAG_EXIT_CODE = 2;

test('an unknown flag gets Go\'s exact line, then the usage, and exit code 2', () => {
  for (const spelling of ['--nonexistent', '-nonexistent', '--nonexistent=3']) {
    const { message, exitCode } = failure([spelling]);
    assert.equal(exitCode, ETCD_3_4_23_UNKNOWN_FLAG_EXIT_CODE);
    const lines = message.split('\n');
    assert.equal(lines[0], ETCD_3_4_23_UNKNOWN_FLAG_STDERR_FIRST_LINE);
    assert.equal(lines[1], 'Usage:');
    assert.match(message, /etcd --config-file/);
  }
});

test('flags etcd has but etcd-ts does not implement yet are unknown flags', () => {
  // --listen-metrics-urls left this list when the metrics listener was built, --auth-token when auth was, TLS flags with TLS.
  for (const flag of ['--enable-v2', '--discovery=https://x', '--cors=*', '--proxy=on', '--enable-pprof']) {
    const name = flag.slice(2).split('=')[0] ?? '';
    const { message, exitCode } = failure([flag]);
    assert.equal(exitCode, 2);
    assert.equal(message.split('\n')[0], `flag provided but not defined: -${name}`);
  }
});

// Each line below was printed by etcd 3.4.23 for the same arguments, exit status 2.
const ETCD_3_4_23_USAGE_ERRORS: readonly (readonly [readonly string[], string])[] = [
  [['--snapshot-count=abc'], 'invalid value "abc" for flag -snapshot-count: parse error'],
  [['--snapshot-count=-1'], 'invalid value "-1" for flag -snapshot-count: parse error'],
  [['--heartbeat-interval=1.5'], 'invalid value "1.5" for flag -heartbeat-interval: parse error'],
  [['--quota-backend-bytes=99999999999999999999'], 'invalid value "99999999999999999999" for flag -quota-backend-bytes: value out of range'],
  [['--backend-batch-interval=5'], 'invalid value "5" for flag -backend-batch-interval: parse error'],
  [['--listen-client-urls=foo'], 'invalid value "foo" for flag -listen-client-urls: URL scheme must be http, https, unix, or unixs: foo'],
  [['--listen-client-urls=http://localhost'], 'invalid value "http://localhost" for flag -listen-client-urls: URL address does not have the form "host:port": http://localhost'],
  [['--listen-client-urls=http://a:1/x'], 'invalid value "http://a:1/x" for flag -listen-client-urls: URL must not contain a path: http://a:1/x'],
  [['--initial-cluster-state=bogus'], 'invalid value "bogus" for flag -initial-cluster-state: invalid value'],
  [['--strict-reconfig-check=maybe'], 'invalid boolean value "maybe" for -strict-reconfig-check: parse error'],
  [['--name'], 'flag needs an argument: -name'],
  [['---name=x'], 'bad flag syntax: ---name=x'],
];

test('bad flag values are usage errors with the line etcd prints', () => {
  for (const [argv, line] of ETCD_3_4_23_USAGE_ERRORS) {
    const { message, exitCode } = failure(argv);
    assert.equal(message.split('\n')[0], line, argv.join(' '));
    assert.equal(exitCode, 2);
  }
});

test('a positional argument is refused like etcd: "\'foo\' is not a valid flag", exit 1', () => {
  assert.deepEqual(failure(['foo']), { message: "'foo' is not a valid flag", exitCode: 1 });
  assert.deepEqual(failure(['--name', 'a', '-']), { message: "'-' is not a valid flag", exitCode: 1 });
  assert.deepEqual(failure(['--', '--name', 'a']), { message: "'--name' is not a valid flag", exitCode: 1 });
});

test('-h, --help and -help=anything ask for help, which lists every flag with its default', () => {
  for (const argv of [['-h'], ['--help'], ['-help=true'], ['--name', 'a', '--help', 'ignored']]) {
    const result = parseServerArgs(argv, {});
    assert.equal(result.kind, 'help', argv.join(' '));
    if (result.kind !== 'help') continue;
    assert.match(result.text, /^Usage:/);
    assert.match(result.text, /\nMember:\n {2}--name 'default'\n/);
    assert.match(result.text, /--data-dir '\$\{name\}\.etcd'/);
    assert.match(result.text, /\nClustering:\n/);
    assert.match(result.text, /--initial-cluster-state 'new'/);
    assert.match(result.text, /\nLogging:\n {2}--logger 'zap'/);
    assert.match(result.text, /--experimental-watch-progress-notify-interval '10m0s'/);
  }
});

test('--version reports etcd 3.5.17 first, then names etcd-ts and Node honestly', () => {
  const result = parseServerArgs(['--version'], {});
  assert.equal(result.kind, 'version');
  if (result.kind !== 'version') return;
  const lines = result.text.split('\n');
  assert.equal(lines[0], 'etcd Version: 3.5.17');
  assert.match(lines[1] ?? '', /^etcd-ts Version: \d+\.\d+\.\d+/);
  assert.ok(lines.includes(`Node Version: ${process.version}`));
  assert.ok(lines.includes(`Node OS/Arch: ${process.platform}/${process.arch}`));
});

test('the command line is checked before --version acts, as in etcd', () => {
  assert.equal(failure(['--version', '--bogus']).exitCode, 2);
  assert.deepEqual(failure(['--version', 'extra']), { message: "'extra' is not a valid flag", exitCode: 1 });
  assert.equal(parseServerArgs(['-version=false', '--name', 'x'], {}).kind, 'run');
});

test('--help lists every flag of the registry, and only real flags', () => {
  const result = parseServerArgs(['--help'], {});
  assert.equal(result.kind, 'help');
  if (result.kind !== 'help') return;
  for (const def of FLAG_DEFINITIONS) assert.ok(result.text.includes(`\n  --${def.name} '`), def.name);
  const listed = [...result.text.matchAll(/\n {2}--([a-z-]+) '/g)].map((match) => match[1]);
  assert.equal(listed.length, FLAG_DEFINITIONS.length);
});

test('--listen-metrics-urls and --max-concurrent-streams are accepted with etcd defaults', () => {
  const defaults = parseServerArgs([], {});
  assert.equal(defaults.kind, 'run');
  if (defaults.kind !== 'run') return;
  assert.deepEqual(defaults.config.listenMetricsUrls, []);
  assert.equal(defaults.config.maxConcurrentStreams, 4294967295);
  const given = parseServerArgs(['--listen-metrics-urls=http://127.0.0.1:2381', '--max-concurrent-streams=100'], {});
  assert.equal(given.kind, 'run');
  if (given.kind !== 'run') return;
  assert.deepEqual(given.config.listenMetricsUrls.map(String), ['http://127.0.0.1:2381/']);
  assert.equal(given.config.maxConcurrentStreams, 100);
});
