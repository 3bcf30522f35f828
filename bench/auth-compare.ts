// Put and range throughput with auth on (simple token, root user) next to auth off,
// on etcd-ts and on Debian's etcd, each on a fresh server per round; medians of the rounds.
// Usage: node dist/bench/auth-compare.js [--rounds 3] [--seconds 3] [--in-flight 64]
import * as grpc from '@grpc/grpc-js';
import {
  AuthService,
  KVService,
  PutRequest,
  RangeRequest,
  type AuthenticateResponse,
} from '../src/generated/etcdserverpb/rpc.js';
import { defaultBinaries, serverAvailable, ServerProcess, type ServerKind } from './server-process.js';
import { numberFlag } from './flag-number.js';

const VALUE_BYTES = 256;
const KEYS = 1000;
const CALL_DEADLINE_MS = 10_000;
const CHANNELS = 4;

interface Setting {
  readonly kind: ServerKind;
  readonly auth: boolean;
}

interface Measured {
  readonly opsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}


function unary<Req, Res>(
  client: grpc.Client,
  method: { path: string; requestSerialize: (value: Req) => Buffer; responseDeserialize: (value: Buffer) => Res },
  request: Req,
  metadata: grpc.Metadata,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) =>
      error || response === undefined ? reject(error ?? new Error('empty response')) : resolve(response),
    );
  });
}

/** Root user with the root role, auth on, and a token for root (what `etcdctl --user root` does). */
async function enableAuth(client: grpc.Client): Promise<grpc.Metadata> {
  const none = new grpc.Metadata();
  await unary(client, AuthService.userAdd, { name: 'root', password: 'bench', hashedPassword: '', options: undefined }, none);
  await unary(client, AuthService.roleAdd, { name: 'root' }, none);
  await unary(client, AuthService.userGrantRole, { user: 'root', role: 'root' }, none);
  await unary(client, AuthService.authEnable, {}, none);
  const { token } = (await unary(client, AuthService.authenticate, { name: 'root', password: 'bench' }, none)) as AuthenticateResponse;
  const metadata = new grpc.Metadata();
  metadata.set('token', token);
  return metadata;
}

/** Closed loop: `inFlight` callers, each issuing the next call when the last returns, for `seconds`. */
async function load(clients: grpc.Client[], inFlight: number, seconds: number, issue: (client: grpc.Client, i: number) => Promise<unknown>): Promise<Measured> {
  const latenciesMs: number[] = [];
  const endMs = performance.now() + seconds * 1000;
  let counter = 0;
  const caller = async (slot: number): Promise<void> => {
    const client = clients[slot % clients.length] as grpc.Client;
    while (performance.now() < endMs) {
      const started = performance.now();
      await issue(client, counter++);
      latenciesMs.push(performance.now() - started);
    }
  };
  const startedMs = performance.now();
  await Promise.all(Array.from({ length: inFlight }, (_, slot) => caller(slot)));
  const elapsedS = (performance.now() - startedMs) / 1000;
  latenciesMs.sort((a, b) => a - b);
  const at = (q: number): number => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(q * latenciesMs.length))] ?? 0;
  return { opsPerS: latenciesMs.length / elapsedS, p50Ms: at(0.5), p99Ms: at(0.99) };
}

async function measure(setting: Setting, seconds: number, inFlight: number): Promise<{ put: Measured; range: Measured }> {
  const server = await ServerProcess.start(setting.kind, defaultBinaries());
  const clients = Array.from({ length: CHANNELS }, () => new grpc.Client(server.endpoint, grpc.credentials.createInsecure()));
  try {
    const metadata = setting.auth ? await enableAuth(clients[0] as grpc.Client) : new grpc.Metadata();
    const value = Buffer.alloc(VALUE_BYTES, 0x61);
    const put = await load(clients, inFlight, seconds, (client, i) =>
      unary(client, KVService.put, PutRequest.fromPartial({ key: Buffer.from(`bench/${i % KEYS}`), value }), metadata),
    );
    const range = await load(clients, inFlight, seconds, (client, i) =>
      unary(client, KVService.range, RangeRequest.fromPartial({ key: Buffer.from(`bench/${i % KEYS}`) }), metadata),
    );
    return { put, range };
  } finally {
    for (const client of clients) client.close();
    await server.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const rounds = numberFlag('rounds', 3);
  const seconds = numberFlag('seconds', 3);
  const inFlight = numberFlag('in-flight', 64);
  const kinds = (['etcd-ts', 'etcd'] as const).filter((kind) => serverAvailable(kind, defaultBinaries()));
  const settings: Setting[] = kinds.flatMap((kind) => [{ kind, auth: false }, { kind, auth: true }]);
  const results = new Map<string, Array<{ put: Measured; range: Measured }>>();
  for (let round = 1; round <= rounds; round++) {
    for (const setting of settings) {
      const name = `${setting.kind} auth=${setting.auth ? 'on ' : 'off'}`;
      process.stderr.write(`round ${round}/${rounds}: ${name}\n`);
      const list = results.get(name) ?? [];
      list.push(await measure(setting, seconds, inFlight));
      results.set(name, list);
    }
  }
  console.log(`median of ${rounds} rounds, ${seconds} s each, ${inFlight} calls in flight over ${CHANNELS} channels`);
  console.log('setting            put ops/s  put p50 ms  put p99 ms  range ops/s  range p50 ms  range p99 ms');
  for (const [name, list] of results) {
    const m = (pick: (r: { put: Measured; range: Measured }) => number): string => median(list.map(pick)).toFixed(2);
    const line = [
      name.padEnd(18),
      median(list.map((r) => r.put.opsPerS)).toFixed(0).padStart(9),
      m((r) => r.put.p50Ms).padStart(11),
      m((r) => r.put.p99Ms).padStart(11),
      median(list.map((r) => r.range.opsPerS)).toFixed(0).padStart(12),
      m((r) => r.range.p50Ms).padStart(13),
      m((r) => r.range.p99Ms).padStart(13),
    ];
    console.log(line.join(' '));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
