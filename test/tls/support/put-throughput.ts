// A small load script for TLS against plaintext: puts of random keys over grpc-js, N
// concurrent callers spread over M connections, for a fixed time; prints puts/s and
// latency percentiles as one JSON line. (The bench tool dials plaintext HTTP/2 only.)
//   node dist/test/tls/support/put-throughput.js <host:port> <clients> <conns> <seconds> [ca cert key]
import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { Client, credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { PutRequest } from '../../../src/generated/etcdserverpb/rpc.js';

const VALUE_BYTES = 256;
const KEY_SPACE = 10_000;
const CALL_DEADLINE_MS = 10_000;
const raw = (value: Buffer): Buffer => value;

function channelCredentials(args: readonly string[]): ChannelCredentials {
  const [ca, cert, key] = args;
  if (ca === undefined) return credentials.createInsecure();
  return credentials.createSsl(readFileSync(ca), key === undefined ? null : readFileSync(key), cert === undefined ? null : readFileSync(cert));
}

function put(client: Client, value: Buffer): Promise<void> {
  const request = Buffer.from(PutRequest.encode({ ...PutRequest.fromPartial({}), key: Buffer.from(`key-${randomInt(KEY_SPACE)}`), value }).finish());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/etcdserverpb.KV/Put', raw, raw, request, { deadline: Date.now() + CALL_DEADLINE_MS }, (error) => (error === null ? resolve() : reject(error)));
  });
}

async function main(): Promise<void> {
  const [endpoint, clientsText, connsText, secondsText, ...tls] = process.argv.slice(2);
  if (endpoint === undefined) throw new Error('usage: put-throughput <host:port> <clients> <conns> <seconds> [ca cert key]');
  const callers = Number(clientsText ?? '1');
  const conns = Number(connsText ?? '1');
  const seconds = Number(secondsText ?? '10');
  const creds = channelCredentials(tls);
  // A distinct channel option per connection keeps grpc-js from sharing one subchannel.
  const clients = Array.from({ length: conns }, (_, i) => new Client(endpoint, creds, { 'grpc.channel_id': i } as Record<string, number>));
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  await Promise.all(clients.map((client) => put(client, value)));
  const latenciesMs: number[] = [];
  const endMs = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: callers }, async (_, i) => {
    const client = clients[i % conns] as Client;
    while (performance.now() < endMs) {
      const startMs = performance.now();
      await put(client, value);
      latenciesMs.push(performance.now() - startMs);
    }
  }));
  clients.forEach((client) => client.close());
  latenciesMs.sort((a, b) => a - b);
  const at = (q: number): number => Number((latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(q * latenciesMs.length))] ?? 0).toFixed(2));
  console.log(JSON.stringify({ endpoint, tls: tls.length > 0, callers, conns, seconds, puts: latenciesMs.length,
    putsPerS: Math.round(latenciesMs.length / seconds), p50Ms: at(0.5), p99Ms: at(0.99) }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
