// The one registry of accepted flags: name, type, default, help, environment variable,
// config-file key and single-value check. A new flag (TLS, auth, metrics...) is a new entry.
import { BCRYPT_COST_DEFAULT } from '../auth/passwords.js';
import { SIMPLE_TOKEN_TTL_SECONDS_DEFAULT } from '../auth/simple-tokens.js';
import { AUTH_TOKEN_DEFAULT, authTokenError } from '../auth/token-options.js';
import { bindUrlError, advertiseUrlError, type EtcdUrl } from './etcd-urls.js';
import { goQuote } from './go-values.js';
import { type FlagType, type FlagValue, integerOf, itemsOf, textOf, urlsOf } from './flag-value.js';
import {
  DEFAULT_ADVERTISE_CLIENT_URLS,
  DEFAULT_ELECTION_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_INITIAL_ADVERTISE_PEER_URLS,
  DEFAULT_INITIAL_CLUSTER,
  DEFAULT_INITIAL_CLUSTER_TOKEN,
  DEFAULT_LISTEN_CLIENT_URLS,
  DEFAULT_LISTEN_PEER_URLS,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_SNAPSHOTS,
  DEFAULT_MAX_TXN_OPS,
  DEFAULT_MAX_WALS,
  DEFAULT_NAME,
  DEFAULT_SNAPSHOT_COUNT,
  LOG_LEVELS,
} from './server-config.js';
import { TLS_FLAG_SPECS } from './tls-flags.js';

export type FlagGroup = 'general' | 'member' | 'clustering' | 'security' | 'logging' | 'experimental';

export interface FlagDefinition {
  readonly name: string;
  readonly type: FlagType;
  /** The default as it would be typed on the command line. */
  readonly defaultText: string;
  /** What --help shows as the default when it is computed (e.g. '${name}.etcd'). */
  readonly helpDefault?: string;
  readonly help: string;
  readonly group: FlagGroup;
  /** ETCD_<UPPER_SNAKE>; null when the flag cannot come from the environment. */
  readonly envName: string | null;
  /** The YAML key in --config-file; null when the file cannot set it. */
  readonly configKey: string | null;
  /** A check on this value alone; returns etcd's error text. */
  readonly validate?: (value: FlagValue) => string | undefined;
}

/** etcd's rule: ETCD_ plus the flag name upper-cased with '-' as '_'. */
export function flagToEnvName(flagName: string): string {
  return `ETCD_${flagName.toUpperCase().replaceAll('-', '_')}`;
}

type FlagSpec = Omit<FlagDefinition, 'envName' | 'configKey'> & { readonly envName?: null; readonly configKey?: null };

// Most flags come from the environment and the config file under their own name.
function defineFlag(spec: FlagSpec): FlagDefinition {
  return {
    ...spec,
    envName: spec.envName === null ? null : flagToEnvName(spec.name),
    configKey: spec.configKey === null ? null : spec.name,
  };
}

const uint = { kind: 'integer', goType: 'uint' } as const;

function firstUrlError(urls: readonly EtcdUrl[], check: (url: EtcdUrl) => string | undefined): string | undefined {
  for (const url of urls) {
    const error = check(url);
    if (error !== undefined) return error;
  }
  return undefined;
}

function validateBindUrls(value: FlagValue): string | undefined {
  return firstUrlError(urlsOf(value), bindUrlError);
}

function advertiseValidator(flagName: string): (value: FlagValue) => string | undefined {
  return (value) => {
    const urls = urlsOf(value);
    const error = firstUrlError(urls, advertiseUrlError);
    if (error === undefined) return undefined;
    const listed = urls.map((url) => url.text).join(',');
    return `--${flagName} ${goQuote(listed)} must be "host:port" (${error})`;
  };
}

function validateLogger(value: FlagValue): string | undefined {
  const logger = textOf(value);
  if (logger === 'zap') return undefined;
  if (logger === 'capnslog') return '--logger=capnslog is removed in v3.5';
  return `unknown logger option ${goQuote(logger)}`;
}

function validateLogOutputs(value: FlagValue): string | undefined {
  const outputs = itemsOf(value);
  if (outputs.length > 1 && outputs.includes('default')) return 'multi logoutput for "default" is not supported yet';
  if (outputs.includes('systemd/journal')) return 'log output "systemd/journal" is not supported by etcd-ts';
  if (outputs.includes('')) return 'log output must not be an empty path';
  return undefined;
}

function validateLogLevel(value: FlagValue): string | undefined {
  const level = textOf(value);
  return LOG_LEVELS.some((known) => known === level) ? undefined : `unknown level ${goQuote(level)}`;
}

function validateAuthToken(value: FlagValue): string | undefined {
  return authTokenError(textOf(value));
}

function validateClusterState(value: FlagValue): string | undefined {
  const state = textOf(value);
  return state === 'new' || state === 'existing' ? undefined : `unexpected clusterState ${goQuote(state)}`;
}

function positiveMs(flagName: string): (value: FlagValue) => string | undefined {
  return (value) => (integerOf(value) === 0n ? `--${flagName} must be >0 (set to 0ms)` : undefined);
}

function validateCompactionMode(value: FlagValue): string | undefined {
  const mode = textOf(value);
  return mode === '' || mode === 'periodic' || mode === 'revision' ? undefined : `unknown auto-compaction-mode ${goQuote(mode)}`;
}

export const FLAG_DEFINITIONS: readonly FlagDefinition[] = [
  defineFlag({ name: 'config-file', type: { kind: 'string' }, defaultText: '', group: 'general', configKey: null,
    help: 'YAML file holding the whole configuration. When given, other flags and ETCD_* variables are not read.' }),
  defineFlag({ name: 'version', type: { kind: 'bool' }, defaultText: 'false', group: 'general', configKey: null, envName: null,
    help: 'Print version information and exit.' }),
  defineFlag({ name: 'name', type: { kind: 'string' }, defaultText: DEFAULT_NAME, group: 'member',
    help: 'Name of this member, unique in the cluster.' }),
  defineFlag({ name: 'data-dir', type: { kind: 'string' }, defaultText: '', helpDefault: '${name}.etcd', group: 'member',
    help: 'Directory holding this member\'s data.' }),
  defineFlag({ name: 'wal-dir', type: { kind: 'string' }, defaultText: '', group: 'member',
    help: 'Separate directory for the write-ahead log (empty: inside the data directory).' }),
  defineFlag({ name: 'snapshot-count', type: { kind: 'integer', goType: 'uint64' }, defaultText: String(DEFAULT_SNAPSHOT_COUNT), group: 'member',
    help: 'Committed entries between two snapshots to disk.' }),
  defineFlag({ name: 'heartbeat-interval', type: uint, defaultText: String(DEFAULT_HEARTBEAT_INTERVAL_MS), group: 'member',
    help: 'Milliseconds between leader heartbeats.', validate: positiveMs('heartbeat-interval') }),
  defineFlag({ name: 'election-timeout', type: uint, defaultText: String(DEFAULT_ELECTION_TIMEOUT_MS), group: 'member',
    help: 'Milliseconds a follower waits without a heartbeat before it campaigns.', validate: positiveMs('election-timeout') }),
  defineFlag({ name: 'listen-peer-urls', type: { kind: 'urls' }, defaultText: DEFAULT_LISTEN_PEER_URLS, group: 'member',
    help: 'URLs to accept traffic from other members on.', validate: validateBindUrls }),
  defineFlag({ name: 'listen-client-urls', type: { kind: 'urls' }, defaultText: DEFAULT_LISTEN_CLIENT_URLS, group: 'member',
    help: 'URLs to accept client traffic on.', validate: validateBindUrls }),
  defineFlag({ name: 'listen-metrics-urls', type: { kind: 'urls' }, defaultText: '', group: 'member',
    help: 'Extra URLs serving /metrics and /health only (plain HTTP).', validate: validateBindUrls }),
  defineFlag({ name: 'max-concurrent-streams', type: uint, defaultText: '4294967295', group: 'member',
    help: 'Most concurrent gRPC streams per client connection.' }),
  defineFlag({ name: 'max-snapshots', type: uint, defaultText: String(DEFAULT_MAX_SNAPSHOTS), group: 'member',
    help: 'Snapshot files to keep (0: keep all).' }),
  defineFlag({ name: 'max-wals', type: uint, defaultText: String(DEFAULT_MAX_WALS), group: 'member',
    help: 'WAL files to keep (0: keep all).' }),
  defineFlag({ name: 'quota-backend-bytes', type: { kind: 'integer', goType: 'int64' }, defaultText: '0', group: 'member',
    help: 'Backend size that raises the NOSPACE alarm (0: 2 GiB; negative: no quota).' }),
  defineFlag({ name: 'backend-batch-interval', type: { kind: 'duration' }, defaultText: '0s', helpDefault: '', group: 'member',
    help: 'Longest time a backend transaction stays open before commit (0: 100ms).' }),
  defineFlag({ name: 'backend-batch-limit', type: { kind: 'integer', goType: 'int' }, defaultText: '0', group: 'member',
    help: 'Most operations in a backend transaction before commit (0: 10000).' }),
  defineFlag({ name: 'max-txn-ops', type: uint, defaultText: String(DEFAULT_MAX_TXN_OPS), group: 'member',
    help: 'Most operations one transaction may hold.' }),
  defineFlag({ name: 'max-request-bytes', type: uint, defaultText: String(DEFAULT_MAX_REQUEST_BYTES), group: 'member',
    help: 'Largest client request accepted, in bytes.' }),
  defineFlag({ name: 'auth-token', type: { kind: 'string' }, defaultText: AUTH_TOKEN_DEFAULT, group: 'member',
    help: 'Auth token type and options: simple, or jwt,pub-key=...,priv-key=...,sign-method=...,ttl=5m.', validate: validateAuthToken }),
  defineFlag({ name: 'bcrypt-cost', type: uint, defaultText: String(BCRYPT_COST_DEFAULT), group: 'member',
    help: 'bcrypt cost factor for hashing auth passwords (4 to 31).' }),
  defineFlag({ name: 'auth-token-ttl', type: uint, defaultText: String(SIMPLE_TOKEN_TTL_SECONDS_DEFAULT), group: 'member',
    help: 'Seconds a simple auth token lives without use.' }),
  defineFlag({ name: 'initial-advertise-peer-urls', type: { kind: 'urls' }, defaultText: DEFAULT_INITIAL_ADVERTISE_PEER_URLS, group: 'clustering',
    help: 'Peer URLs this member tells the other members about.', validate: advertiseValidator('initial-advertise-peer-urls') }),
  defineFlag({ name: 'advertise-client-urls', type: { kind: 'urls' }, defaultText: DEFAULT_ADVERTISE_CLIENT_URLS, group: 'clustering',
    help: 'Client URLs this member publishes; required when --listen-client-urls is given.',
    validate: advertiseValidator('advertise-client-urls') }),
  defineFlag({ name: 'initial-cluster', type: { kind: 'string' }, defaultText: DEFAULT_INITIAL_CLUSTER, group: 'clustering',
    help: 'Members at bootstrap as name=peer-url pairs, comma separated (default built from --name when only the name changes).' }),
  defineFlag({ name: 'initial-cluster-token', type: { kind: 'string' }, defaultText: DEFAULT_INITIAL_CLUSTER_TOKEN, group: 'clustering',
    help: 'Token that keeps clusters bootstrapped with the same members apart.' }),
  defineFlag({ name: 'initial-cluster-state', type: { kind: 'choice', choices: ['new', 'existing'] }, defaultText: 'new', group: 'clustering',
    help: "'new' to bootstrap a cluster, 'existing' to join one.", validate: validateClusterState }),
  defineFlag({ name: 'strict-reconfig-check', type: { kind: 'bool' }, defaultText: 'true', group: 'clustering',
    help: 'Refuse membership changes that would lose quorum.' }),
  defineFlag({ name: 'auto-compaction-retention', type: { kind: 'string' }, defaultText: '0', group: 'clustering',
    help: 'History to keep when compacting automatically: a duration or hours (periodic), or revisions (revision); 0 turns it off.' }),
  defineFlag({ name: 'auto-compaction-mode', type: { kind: 'string' }, defaultText: 'periodic', group: 'clustering',
    help: "How to read --auto-compaction-retention: 'periodic' or 'revision'.", validate: validateCompactionMode }),
  defineFlag({ name: 'logger', type: { kind: 'string' }, defaultText: 'zap', group: 'logging',
    help: "Logger implementation; only 'zap' (structured JSON) is supported.", validate: validateLogger }),
  defineFlag({ name: 'log-outputs', type: { kind: 'string-set' }, defaultText: 'default', group: 'logging',
    help: "Where logs go: 'default' or 'stderr', 'stdout', or file paths, comma separated.", validate: validateLogOutputs }),
  defineFlag({ name: 'log-level', type: { kind: 'string' }, defaultText: 'info', group: 'logging',
    help: 'Lowest level logged: debug, info, warn, error, panic or fatal.', validate: validateLogLevel }),
  defineFlag({ name: 'experimental-compaction-batch-limit', type: { kind: 'integer', goType: 'int' }, defaultText: '1000', group: 'experimental',
    help: 'Most revisions removed in one compaction batch.' }),
  defineFlag({ name: 'experimental-enable-lease-checkpoint', type: { kind: 'bool' }, defaultText: 'false', group: 'experimental',
    help: 'Leaders record the remaining TTL of leases through the log, so a new leader does not reset them to full.' }),
  defineFlag({ name: 'experimental-enable-lease-checkpoint-persist', type: { kind: 'bool' }, defaultText: 'false', group: 'experimental',
    help: 'Keep lease checkpoints across restarts (requires --experimental-enable-lease-checkpoint).' }),
  defineFlag({ name: 'experimental-watch-progress-notify-interval', type: { kind: 'duration' }, defaultText: '10m0s', group: 'experimental',
    help: 'How often idle watchers get a progress notification.' }),
  defineFlag({ name: 'experimental-initial-corrupt-check', type: { kind: 'bool' }, defaultText: 'false', group: 'experimental',
    help: 'Enable to check data corruption before serving any client/peer traffic.' }),
  defineFlag({ name: 'experimental-corrupt-check-time', type: { kind: 'duration' }, defaultText: '0s', group: 'experimental',
    help: 'Duration of time between cluster corruption check passes.' }),
  ...TLS_FLAG_SPECS.map(defineFlag),
];

const DEFINITIONS_BY_NAME: ReadonlyMap<string, FlagDefinition> = new Map(FLAG_DEFINITIONS.map((def) => [def.name, def]));

export function findFlag(name: string): FlagDefinition | undefined {
  return DEFINITIONS_BY_NAME.get(name);
}
