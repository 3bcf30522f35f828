// Parses and checks the bench command line; bad input is a usage error, never a crash.
import { parseArgs } from 'node:util';
import { SERVER_KINDS, type ServerKind } from './server-process.js';
import { findSpec, type Spec } from './spec-table.js';
import { CONNS_PER_WORKER_DEFAULT } from './load-runner.js';
import { TRANSPORTS, TRANSPORT_DEFAULT, type Transport } from './load-connection.js';

export const DURATION_S_DEFAULT = 10;
export const WARMUP_S_DEFAULT = 2;
export const ROUNDS_DEFAULT = 3;
/** Limits on user input so a typo cannot start an hour-long or machine-filling run. */
const DURATION_S_MAX = 3600;
const CLIENTS_MAX = 10_000;
const CONNS_MAX = 1_000;
const ROUNDS_MAX = 100;
/** Above etcd's 1.5 MiB request limit on purpose, so the limit itself can be exercised. */
const VALUE_BYTES_MAX = 16 * 1024 * 1024;

export class UsageError extends Error {}

const OPTIONS = {
  endpoints: { type: 'string' },
  spec: { type: 'string' },
  specs: { type: 'string' },
  servers: { type: 'string' },
  server: { type: 'string' },
  clients: { type: 'string' },
  conns: { type: 'string' },
  'conns-per-worker': { type: 'string' },
  'duration-s': { type: 'string' },
  total: { type: 'string' },
  'warmup-s': { type: 'string' },
  'value-bytes': { type: 'string' },
  'key-space': { type: 'string' },
  rate: { type: 'string' },
  rounds: { type: 'string' },
  json: { type: 'string' },
  transport: { type: 'string' },
  'etcd-bin': { type: 'string' },
  'etcd-ts-bin': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface LoadArgs {
  durationS: number | undefined;
  total: number | undefined;
  warmupS: number;
  ratePerS: number | undefined;
  connsPerWorker: number;
  transport: Transport;
  json: string | undefined;
  etcdBin: string | undefined;
  etcdTsBin: string | undefined;
}

export type Command =
  | { kind: 'list' }
  | { kind: 'help' }
  | ({ kind: 'run'; endpoints: string[]; server: ServerKind | undefined; spec: Spec } & LoadArgs)
  | ({ kind: 'compare'; specs: Spec[]; servers: ServerKind[]; rounds: number } & LoadArgs);

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function num(values: Values, name: keyof Values, min: number, max: number): number | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number in [${min}, ${max}], got ${raw}`);
  return n;
}

function int(values: Values, name: keyof Values, min: number, max: number): number | undefined {
  const n = num(values, name, min, max);
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer`);
  return n;
}

/** Applies --clients/--conns/--value-bytes/--key-space to a spec. */
function overridden(spec: Spec, values: Values): Spec {
  return {
    ...spec,
    clients: int(values, 'clients', 1, CLIENTS_MAX) ?? spec.clients,
    conns: int(values, 'conns', 1, CONNS_MAX) ?? spec.conns,
    valueBytes: int(values, 'value-bytes', 0, VALUE_BYTES_MAX) ?? spec.valueBytes,
    keySpace: int(values, 'key-space', 1, 2 ** 31 - 1) ?? spec.keySpace,
  };
}

function specNamed(name: string, values: Values): Spec {
  const spec = findSpec(name);
  if (!spec) throw new UsageError(`unknown spec ${name} (see "list")`);
  return overridden(spec, values);
}

function serverKind(name: string): ServerKind {
  const kind = SERVER_KINDS.find((k) => k === name);
  if (!kind) throw new UsageError(`unknown server ${name}; expected one of ${SERVER_KINDS.join(', ')}`);
  return kind;
}

function transportNamed(name: string): Transport {
  const t = TRANSPORTS.find((x) => x === name);
  if (!t) throw new UsageError(`unknown transport ${name}; expected one of ${TRANSPORTS.join(', ')}`);
  return t;
}

function loadArgs(values: Values): LoadArgs {
  const total = int(values, 'total', 1, 1e9);
  return {
    durationS: total === undefined ? num(values, 'duration-s', 0.1, DURATION_S_MAX) ?? DURATION_S_DEFAULT : undefined,
    total,
    warmupS: num(values, 'warmup-s', 0, DURATION_S_MAX) ?? WARMUP_S_DEFAULT,
    ratePerS: num(values, 'rate', 0.1, 1e7),
    connsPerWorker: int(values, 'conns-per-worker', 1, CONNS_MAX) ?? CONNS_PER_WORKER_DEFAULT,
    transport: transportNamed(values.transport ?? TRANSPORT_DEFAULT),
    json: values.json,
    etcdBin: values['etcd-bin'],
    etcdTsBin: values['etcd-ts-bin'],
  };
}

const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');

export function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const sub = positionals[0];
  if (values.help || sub === undefined || sub === 'help') return { kind: 'help' };
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
  switch (sub) {
    case 'list':
      return { kind: 'list' };
    case 'run': {
      const endpoints = list(values.endpoints);
      const server = values.server === undefined ? undefined : serverKind(values.server);
      if ((endpoints.length === 0) === (server === undefined)) throw new UsageError('run needs exactly one of --endpoints or --server');
      if (!values.spec) throw new UsageError('run needs --spec');
      return { kind: 'run', endpoints, server, spec: specNamed(values.spec, values), ...loadArgs(values) };
    }
    case 'compare': {
      const specs = list(values.specs ?? 'put-1,put-64,range-lin-64').map((n) => specNamed(n, values));
      const servers = list(values.servers ?? 'etcd,etcd-ts').map(serverKind);
      const rounds = int(values, 'rounds', 1, ROUNDS_MAX) ?? ROUNDS_DEFAULT;
      return { kind: 'compare', specs, servers, rounds, ...loadArgs(values) };
    }
    default:
      throw new UsageError(`unknown command ${sub}; expected run, compare or list`);
  }
}

export const USAGE = `usage:
  npm run bench -- list
  npm run bench -- run (--endpoints 127.0.0.1:2379[,..] | --server etcd|etcd-ts) --spec NAME
        [--clients N] [--conns N] [--duration-s S | --total N] [--warmup-s S] [--value-bytes B]
        [--key-space N] [--rate N] [--conns-per-worker N] [--transport http2|grpc-js] [--json out.json]
  npm run bench -- compare [--specs put-1,put-64,range-lin-64] [--servers etcd,etcd-ts] [--rounds 3]
        [--duration-s S | --total N] [--warmup-s S] [--rate N] [--transport http2|grpc-js] [--json out.json]
        [--etcd-bin /usr/bin/etcd] [--etcd-ts-bin bin/etcd-ts]
  npm run bench -- cluster [compare's options]   (the same on three-member clusters)
Results also go to bench-results/ unless --json names a file.`;
