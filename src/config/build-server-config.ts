// Turns the settled flag values into a ServerConfig: etcd's start-up validation in etcd's
// order (so the first error is etcd's first error), then the defaults etcd derives at start.
import { parseAutoCompaction } from './auto-compaction.js';
import { type EtcdUrl, toWhatwgUrl } from './etcd-urls.js';
import { FLAG_DEFINITIONS, findFlag } from './flag-definitions.js';
import { boolOf, type FlagValue, integerOf, itemsOf, nanosecondsOf, parseFlagText, textOf, urlsOf } from './flag-value.js';
import { nanosecondsToMs } from './go-values.js';
import { effectiveInitialCluster, parseInitialCluster } from './initial-cluster.js';
import {
  DEFAULT_BACKEND_BATCH_INTERVAL_MS,
  DEFAULT_BACKEND_BATCH_LIMIT,
  DEFAULT_COMPACTION_BATCH_LIMIT,
  DEFAULT_QUOTA_BACKEND_BYTES,
  DEFAULT_LEASE_CHECKPOINT_INTERVAL_MS,
  DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL_MS,
  LOG_LEVELS,
  type LogLevel,
  type LogOutput,
  MAX_ELECTION_TIMEOUT_MS,
  MAX_QUOTA_BACKEND_BYTES,
  MIN_ELECTION_TIMEOUT_HEARTBEATS,
  MIN_WATCH_PROGRESS_NOTIFY_INTERVAL_MS,
  RECOMMENDED_MAX_REQUEST_BYTES,
  type ServerConfig,
} from './server-config.js';
import { assert } from '../util/assert.js';
import { buildTlsFlags } from './tls-flags.js';

export type BuildResult =
  | { readonly ok: true; readonly config: ServerConfig; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: string };

/** Where the values came from: the command line applies etcd's advertise-URL rule, a file does not. */
export interface BuildSource {
  readonly values: ReadonlyMap<string, FlagValue>;
  /** Flags set on the command line or by ETCD_* variables; empty for a config file. */
  readonly setNames: ReadonlySet<string>;
  readonly configFile: string | null;
}

// etcd validates in this order; flags added later validate after these.
const VALIDATION_ORDER: readonly string[] = [
  'logger', 'log-outputs', 'log-level', 'listen-peer-urls', 'listen-client-urls',
  'initial-advertise-peer-urls', 'advertise-client-urls', 'initial-cluster-state',
  'heartbeat-interval', 'election-timeout',
];

function defaultValue(name: string): FlagValue {
  const def = findFlag(name);
  assert(def !== undefined, `no flag named ${name}`);
  const parsed = parseFlagText(def.type, def.defaultText);
  assert(parsed.ok, `default of --${name} must parse`);
  return parsed.value;
}

function valueGetter(values: ReadonlyMap<string, FlagValue>): (name: string) => FlagValue {
  return (name) => values.get(name) ?? defaultValue(name);
}

function validateSingle(name: string, get: (name: string) => FlagValue): string | undefined {
  return findFlag(name)?.validate?.(get(name));
}

function validate(get: (name: string) => FlagValue): string | undefined {
  for (const name of VALIDATION_ORDER) {
    const error = validateSingle(name, get);
    if (error !== undefined) return error;
  }
  const heartbeatMs = integerOf(get('heartbeat-interval'));
  const electionMs = integerOf(get('election-timeout'));
  if (BigInt(MIN_ELECTION_TIMEOUT_HEARTBEATS) * heartbeatMs > electionMs) {
    return `--election-timeout[${electionMs}ms] should be at least as 5 times as --heartbeat-interval[${heartbeatMs}ms]`;
  }
  if (electionMs > BigInt(MAX_ELECTION_TIMEOUT_MS)) {
    return `--election-timeout[${electionMs}ms] is too long, and should be set less than ${MAX_ELECTION_TIMEOUT_MS}ms`;
  }
  if (urlsOf(get('listen-client-urls')).length > 0 && urlsOf(get('advertise-client-urls')).length === 0) {
    return '--advertise-client-urls is required when --listen-client-urls is set explicitly';
  }
  for (const def of FLAG_DEFINITIONS) {
    if (VALIDATION_ORDER.includes(def.name)) continue;
    const error = validateSingle(def.name, get);
    if (error !== undefined) return error;
  }
  return undefined;
}

function toUrls(urls: readonly EtcdUrl[]): URL[] | string {
  const out: URL[] = [];
  for (const url of urls) {
    const converted = toWhatwgUrl(url);
    if (!(converted instanceof URL)) return converted.error;
    out.push(converted);
  }
  return out;
}

function toLogOutputs(items: readonly string[]): LogOutput[] {
  // An empty list (possible in a config file) means the default output, as in etcd.
  if (items.length === 0) return [{ kind: 'stderr' }];
  return items.map((item): LogOutput => {
    if (item === 'default' || item === 'stderr') return { kind: 'stderr' };
    if (item === 'stdout') return { kind: 'stdout' };
    return { kind: 'file', path: item };
  });
}

function toLogLevel(text: string): LogLevel {
  const level = LOG_LEVELS.find((known) => known === text);
  assert(level !== undefined, `log level ${text} was validated`);
  return level;
}

function quotaBytes(raw: bigint, warnings: string[]): number | null {
  if (raw < 0n) return null;
  const quota = raw === 0n ? DEFAULT_QUOTA_BACKEND_BYTES : Number(raw);
  if (quota > MAX_QUOTA_BACKEND_BYTES) {
    warnings.push(`quota exceeds the maximum value: quota-size-bytes=${quota} quota-maximum-size-bytes=${MAX_QUOTA_BACKEND_BYTES}`);
  }
  return quota;
}

function maxRequestBytes(raw: bigint, warnings: string[]): number {
  const bytes = Number(raw);
  if (bytes > RECOMMENDED_MAX_REQUEST_BYTES) {
    warnings.push(`exceeded recommended request limit: max-request-bytes=${bytes} recommended-request-bytes=${RECOMMENDED_MAX_REQUEST_BYTES}`);
  }
  return bytes;
}

function watchProgressMs(nanoseconds: bigint, warnings: string[]): number {
  if (nanoseconds <= 0n) return DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL_MS;
  const ms = nanosecondsToMs(nanoseconds);
  if (ms >= MIN_WATCH_PROGRESS_NOTIFY_INTERVAL_MS) return ms;
  warnings.push(`adjusting watch progress notify interval to minimum period: min-watch-progress-notify-interval=${MIN_WATCH_PROGRESS_NOTIFY_INTERVAL_MS}ms`);
  return MIN_WATCH_PROGRESS_NOTIFY_INTERVAL_MS;
}

/** etcd checks only when the interval is positive; a sub-millisecond one still waits 1 ms between passes. */
function corruptCheckIntervalMs(nanoseconds: bigint): number | null {
  return nanoseconds <= 0n ? null : Math.max(1, nanosecondsToMs(nanoseconds));
}

function backendBatchIntervalMs(nanoseconds: bigint): number | string {
  // etcd would hand a negative interval to a ticker and crash; refuse it up front instead.
  if (nanoseconds < 0n) return '--backend-batch-interval must not be negative';
  return nanoseconds === 0n ? DEFAULT_BACKEND_BATCH_INTERVAL_MS : nanosecondsToMs(nanoseconds);
}

/** Validates, derives etcd's start-time defaults and returns the typed configuration. */
export function buildServerConfig(source: BuildSource): BuildResult {
  const values = new Map(source.values);
  // etcd drops the default advertise client URL when only the listen URLs were given.
  if (source.setNames.has('listen-client-urls') && !source.setNames.has('advertise-client-urls')) {
    values.set('advertise-client-urls', { kind: 'urls', urls: [] });
  }
  const get = valueGetter(values);
  const error = validate(get);
  if (error !== undefined) return { ok: false, error };
  return deriveConfig(get, source.configFile);
}

function deriveConfig(get: (name: string) => FlagValue, configFile: string | null): BuildResult {
  const warnings: string[] = [];
  const name = textOf(get('name'));
  let dataDir = textOf(get('data-dir'));
  if (dataDir === '') {
    dataDir = `${name}.etcd`;
    warnings.push(`'data-dir' was empty; using default: ${dataDir}`);
  }
  const advertisePeerUrls = urlsOf(get('initial-advertise-peer-urls')).map((url) => url.text);
  const clusterText = effectiveInitialCluster(name, textOf(get('initial-cluster')), advertisePeerUrls);
  const initialCluster = parseInitialCluster(clusterText);
  if ('error' in initialCluster) return { ok: false, error: `error setting up initial cluster: ${initialCluster.error}` };
  const compaction = parseAutoCompaction(textOf(get('auto-compaction-mode')), textOf(get('auto-compaction-retention')));
  if (!compaction.ok) return { ok: false, error: compaction.error };
  if (compaction.warning !== undefined) warnings.push(compaction.warning);
  const listenClientUrls = toUrls(urlsOf(get('listen-client-urls')));
  const listenPeerUrls = toUrls(urlsOf(get('listen-peer-urls')));
  if (typeof listenClientUrls === 'string') return { ok: false, error: listenClientUrls };
  if (typeof listenPeerUrls === 'string') return { ok: false, error: listenPeerUrls };
  const listenMetricsUrls = toUrls(urlsOf(get('listen-metrics-urls')));
  if (typeof listenMetricsUrls === 'string') return { ok: false, error: listenMetricsUrls };
  const batchIntervalMs = backendBatchIntervalMs(nanosecondsOf(get('backend-batch-interval')));
  if (typeof batchIntervalMs === 'string') return { ok: false, error: batchIntervalMs };
  const tls = buildTlsFlags(get);
  if ('error' in tls) return { ok: false, error: tls.error };
  const walDir = textOf(get('wal-dir'));
  const state = textOf(get('initial-cluster-state'));
  const batchLimit = Number(integerOf(get('backend-batch-limit')));
  const compactionBatchLimit = Number(integerOf(get('experimental-compaction-batch-limit')));
  const config: ServerConfig = {
    name,
    dataDir,
    walDir: walDir === '' ? null : walDir,
    listenClientUrls,
    advertiseClientUrls: urlsOf(get('advertise-client-urls')).map((url) => url.text),
    listenPeerUrls,
    listenMetricsUrls,
    maxConcurrentStreams: Number(integerOf(get('max-concurrent-streams'))),
    initialAdvertisePeerUrls: advertisePeerUrls,
    initialCluster,
    initialClusterState: state === 'existing' ? 'existing' : 'new',
    initialClusterToken: textOf(get('initial-cluster-token')),
    strictReconfigCheck: boolOf(get('strict-reconfig-check')),
    snapshotCount: Number(integerOf(get('snapshot-count'))),
    maxSnapshots: Number(integerOf(get('max-snapshots'))),
    maxWals: Number(integerOf(get('max-wals'))),
    heartbeatIntervalMs: Number(integerOf(get('heartbeat-interval'))),
    electionTimeoutMs: Number(integerOf(get('election-timeout'))),
    quotaBackendBytes: quotaBytes(integerOf(get('quota-backend-bytes')), warnings),
    maxRequestBytes: maxRequestBytes(integerOf(get('max-request-bytes')), warnings),
    maxTxnOps: Number(integerOf(get('max-txn-ops'))),
    authToken: textOf(get('auth-token')),
    authTokenTtlSeconds: Number(integerOf(get('auth-token-ttl'))),
    bcryptCost: Number(integerOf(get('bcrypt-cost'))),
    backendBatchIntervalMs: batchIntervalMs,
    backendBatchLimit: batchLimit === 0 ? DEFAULT_BACKEND_BATCH_LIMIT : batchLimit,
    compactionBatchLimit: compactionBatchLimit <= 0 ? DEFAULT_COMPACTION_BATCH_LIMIT : compactionBatchLimit,
    watchProgressNotifyIntervalMs: watchProgressMs(nanosecondsOf(get('experimental-watch-progress-notify-interval')), warnings),
    leaseCheckpointIntervalMs: boolOf(get('experimental-enable-lease-checkpoint')) ? DEFAULT_LEASE_CHECKPOINT_INTERVAL_MS : null,
    initialCorruptCheck: boolOf(get('experimental-initial-corrupt-check')),
    corruptCheckIntervalMs: corruptCheckIntervalMs(nanosecondsOf(get('experimental-corrupt-check-time'))),
    autoCompaction: compaction.policy,
    logger: 'zap',
    logLevel: toLogLevel(textOf(get('log-level'))),
    logOutputs: toLogOutputs(itemsOf(get('log-outputs'))),
    configFile,
    tls: tls.tls,
  };
  return { ok: true, config, warnings };
}
