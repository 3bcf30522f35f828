// Edges where etcd-ts answered differently from etcd: compaction at revision 0, empty
// lock and election keys, unclean request paths and wrong methods, and deeply nested
// txns. Each step goes to the real etcd and to etcd-ts, and both must give the answer
// written in the test (etcd's), over the gateway and over gRPC.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import type { Client } from '@grpc/grpc-js';
import { TxnRequest, KVService } from '../../src/generated/etcdserverpb/rpc.js';
import { ElectionService } from '../../src/generated/v3electionpb/v3election.js';
import { LockService } from '../../src/generated/v3lockpb/v3lock.js';
import { etcdctl } from '../support/etcdctl.js';
import { grpcFailure, rawClient, unary, unaryBytes } from '../support/grpc-raw.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

/** etcd's gateway takes seconds over a txn nested 1,000 deep (and minutes over 3,000). */
const REQUEST_TIMEOUT_MS = 20_000;
const COMPACTED = 'etcdserver: mvcc: required revision has been compacted';
const TOO_MANY_OPS = 'etcdserver: too many operations in txn request';
const EMPTY_KEY = 'etcdserver: key is not provided';

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly location?: string;
  readonly contentType?: string;
}

/** Tries of a request whose connection was reset before its answer could be read. */
const RESET_TRIES_MAX = 5;

/**
 * One HTTP request with the path sent byte for byte (fetch would clean it first). Go's
 * server answers a bad request line (the %zz row) and closes at once, and now and then
 * the connection's reset reaches the client before the answer is read: such a request
 * is sent again, on a new connection, a bounded number of times.
 */
async function send(server: ServerProcess, method: string, path: string, body = ''): Promise<Answer> {
  for (let tries = 1; ; tries++) {
    try {
      return await sendOnce(server, method, path, body);
    } catch (error) {
      const reset = error instanceof Error && (error as NodeJS.ErrnoException).code === 'ECONNRESET';
      if (!reset || tries >= RESET_TRIES_MAX) throw error;
    }
  }
}

function sendOnce(server: ServerProcess, method: string, path: string, body: string): Promise<Answer> {
  const url = new URL(server.clientUrl);
  return new Promise((resolve, reject) => {
    // A connection of its own: a 400 for a bad request line closes the connection it came on.
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answer: Answer = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') };
        resolve({
          ...answer,
          ...(res.headers.location === undefined ? {} : { location: res.headers.location }),
          ...(res.headers['content-type'] === undefined ? {} : { contentType: res.headers['content-type'] }),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${server.target} ${method} ${path.slice(0, 60)} (${body.length} bytes) timed out`)));
    req.end(body);
  });
}

const post = (server: ServerProcess, path: string, body: string): Promise<Answer> => send(server, 'POST', path, body);

/** grpc-gateway's error body (the texts here need no HTML escapes). */
const errorBody = (error: string, code: number): string => JSON.stringify({ error, message: error, code });
const failed = (status: number, error: string, code: number): Answer => ({ status, body: errorBody(error, code), contentType: 'application/json' });

let etcd: ServerProcess;
let ours: ServerProcess;
const clients: Client[] = [];
before(async () => {
  [etcd, ours] = await Promise.all([startServer({ target: 'etcd', name: 'edges-etcd' }), startServer({ target: 'etcd-ts', name: 'edges-ts' })]);
});
after(async () => {
  for (const client of clients) client.close();
  await Promise.all([etcd?.stop(), ours?.stop()]);
});

function grpcClient(server: ServerProcess): Client {
  const client = rawClient(server.endpoint);
  clients.push(client);
  return client;
}

// Runs first: the servers must never have compacted.
test('a store never compacted takes compaction at revision 0 once (etcdctl and gateway), and refuses it after, across a restart', async () => {
  for (const server of [etcd, ours]) {
    const first = await etcdctl(server.endpoint, ['compact', '0']);
    assert.equal(first.stdout.trim(), 'compacted revision 0', `${server.target}: ${first.stderr}`);
    const again = await etcdctl(server.endpoint, ['compact', '0']);
    assert.match(again.stderr, /Error: etcdserver: mvcc: required revision has been compacted/, server.target);
    assert.deepEqual(await post(server, '/v3/kv/compaction', '{}'), failed(400, COMPACTED, 11), server.target);
    assert.deepEqual(await post(server, '/v3/kv/compaction', '{"revision":"-1"}'), failed(400, COMPACTED, 11), server.target);
    await server.restart();
    assert.deepEqual(await post(server, '/v3/kv/compaction', '{}'), failed(400, COMPACTED, 11), `${server.target} after restart`);
    assert.equal((await post(server, '/v3/kv/compaction', '{"revision":"1"}')).status, 200, server.target);
  }
});

test('unlock, proclaim and resign with an empty key fail as etcd\'s internal client does (Unknown, "key is not provided"); an empty lock name is fine', async () => {
  const rows: readonly { path: string; body: string; want: Answer | number }[] = [
    { path: '/v3/lock/unlock', body: '{}', want: failed(500, EMPTY_KEY, 2) },
    { path: '/v3/election/proclaim', body: '{"leader":{}}', want: failed(500, EMPTY_KEY, 2) },
    { path: '/v3/election/resign', body: '{"leader":{"rev":"1"}}', want: failed(500, EMPTY_KEY, 2) },
    { path: '/v3/election/proclaim', body: '{}', want: failed(500, '"leader" field must be provided', 2) },
    { path: '/v3/lock/lock', body: '{}', want: 200 },
  ];
  for (const server of [etcd, ours]) {
    for (const { path, body, want } of rows) {
      const answer = await post(server, path, body);
      if (typeof want === 'number') assert.equal(answer.status, want, `${server.target} ${path} ${body}`);
      else assert.deepEqual(answer, want, `${server.target} ${path} ${body}`);
    }
    const client = grpcClient(server);
    const empty = { code: 2, details: EMPTY_KEY };
    assert.deepEqual(await grpcFailure(unary(client, LockService.unlock, { key: Buffer.alloc(0) })), empty, server.target);
    const leader = { name: Buffer.from('e'), key: Buffer.alloc(0), rev: 1n, lease: 0n };
    assert.deepEqual(await grpcFailure(unary(client, ElectionService.proclaim, { leader, value: Buffer.from('v') })), empty, server.target);
    assert.deepEqual(await grpcFailure(unary(client, ElectionService.resign, { leader })), empty, server.target);
  }
});

const REDIRECT_HTML = 'text/html; charset=utf-8';
const moved = (location: string): Answer => ({ status: 301, body: '', location });
const notFound = (body: string): Answer => ({ status: 404, body: `${body}\n`, contentType: 'text/plain; charset=utf-8' });
const notAllowed: Answer = { status: 405, body: 'Method Not Allowed\n', contentType: 'text/plain; charset=utf-8' };

/** Go's ServeMux cleans every path and redirects to the clean one; grpc-gateway answers 404/405 in plain text. */
const PATH_ROWS: readonly { method: string; path: string; want: Answer }[] = [
  { method: 'POST', path: '//v3/kv/range', want: moved('/v3/kv/range') },
  { method: 'POST', path: '/v3/kv/../kv/range', want: moved('/v3/kv/range') },
  { method: 'POST', path: '/v3/kv/./range', want: moved('/v3/kv/range') },
  { method: 'POST', path: '/v3/kv//range?x=1&y', want: moved('/v3/kv/range?x=1&y') },
  { method: 'POST', path: '/v3/kv/%2e%2e/kv/range', want: moved('/v3/kv/range') },
  { method: 'POST', path: '/v3/kv/range/..', want: moved('/v3/kv') },
  { method: 'POST', path: '/v3', want: moved('/v3/') },
  { method: 'POST', path: '//v3?', want: moved('/v3/') },
  { method: 'POST', path: '//v3beta/kv/range', want: moved('/v3beta/kv/range') },
  { method: 'POST', path: '/v3beta/kv/../kv/range', want: moved('/v3/kv/range') },
  { method: 'POST', path: '//health', want: moved('/health') },
  { method: 'POST', path: 'http://example//v3/kv/range?a', want: moved('/v3/kv/range?a') },
  { method: 'POST', path: "//v3/a%20b!'()*,;=:@$&+~%e9", want: moved("/v3/a%20b%21%27%28%29%2A,;=:@$&+~%E9") },
  { method: 'PUT', path: '//v3/kv/range', want: moved('/v3/kv/range') },
  { method: 'HEAD', path: '//v3/kv/range', want: { ...moved('/v3/kv/range'), contentType: REDIRECT_HTML } },
  {
    method: 'GET',
    path: "//v3/a&b'?x<y",
    want: { status: 301, location: "/v3/a&b%27?x<y", contentType: REDIRECT_HTML, body: '<a href="/v3/a&amp;b%27?x&lt;y">Moved Permanently</a>.\n\n' },
  },
  { method: 'POST', path: '/v3/%zz', want: { status: 400, body: '400 Bad Request', contentType: 'text/plain; charset=utf-8' } },
  { method: 'POST', path: '/v3/', want: notFound('Not Found') },
  { method: 'POST', path: '/v3/kv/range/', want: notFound('Not Found') },
  { method: 'POST', path: '/v3/kv/range%2F', want: notFound('Not Found') },
  { method: 'POST', path: '/v3/nope', want: notFound('Not Found') },
  { method: 'POST', path: '/v3beta', want: notFound('404 page not found') },
  { method: 'POST', path: '/v3alpha/kv/range', want: notFound('404 page not found') },
  { method: 'POST', path: '/nope', want: notFound('404 page not found') },
  { method: 'POST', path: '/health/', want: notFound('404 page not found') },
  { method: 'GET', path: '/v3/kv/range', want: notAllowed },
  { method: 'PUT', path: '/v3/kv/range', want: notAllowed },
  { method: 'DELETE', path: '/v3/watch', want: notAllowed },
  { method: 'POST', path: '/health', want: notAllowed },
  { method: 'PUT', path: '/version', want: notAllowed },
];

test('unclean paths are redirected to the clean path (301, Location, an HTML body for GET only), unknown ones and wrong methods answered as etcd does', async () => {
  for (const server of [etcd, ours]) {
    for (const { method, path, want } of PATH_ROWS) {
      const answer = await send(server, method, path, method === 'GET' || method === 'HEAD' ? '' : '{"key":"YQ=="}');
      assert.deepEqual(answer, want, `${server.target} ${method} ${path}`);
    }
    assert.equal((await send(server, 'POST', '/v3/kv/%72ange', '{"key":"YQ=="}')).status, 200, `${server.target}: escapes are decoded before routing`);
    assert.equal((await send(server, 'POST', 'http://example/v3/kv/range', '{"key":"YQ=="}')).status, 200, `${server.target}: an absolute-form target`);
    const metrics = await send(server, 'DELETE', '/metrics');
    assert.equal(metrics.status, 200, `${server.target}: /metrics answers any method`);
  }
});

/** A txn holding a txn holding ... `levels` deep, the innermost empty. */
function nestedTxn(levels: number): TxnRequest {
  let txn = TxnRequest.fromPartial({});
  for (let level = 0; level < levels; level++) txn = TxnRequest.fromPartial({ success: [{ request: { $case: 'requestTxn', value: txn } }] });
  return txn;
}

function nestedTxnJson(levels: number): string {
  return `${'{"success":[{"request_txn":'.repeat(levels)}{}${'}]}'.repeat(levels)}`;
}

/** Nested txns in a txn: etcd accepts the txn while each level's operations fit --max-txn-ops less those above it (128 in all). */
const NESTING: readonly { levels: number; accepted: boolean }[] = [
  { levels: 50, accepted: true },
  { levels: 128, accepted: true },
  { levels: 129, accepted: false },
  { levels: 130, accepted: false },
  { levels: 1000, accepted: false },
];

test('deeply nested txns: accepted up to etcd\'s txn-ops budget, then "too many operations in txn request", over gRPC and the gateway', async () => {
  for (const server of [etcd, ours]) {
    const client = grpcClient(server);
    for (const { levels, accepted } of NESTING) {
      const label = `${server.target} ${levels} levels`;
      if (accepted) {
        // The answer nests as deep as the request: only its arrival is checked (the generated decoders stop at 100 levels).
        assert.ok((await unaryBytes(client, KVService.txn.path, Buffer.from(TxnRequest.encode(nestedTxn(levels)).finish()))).length > 0, label);
        assert.equal((await post(server, '/v3/kv/txn', nestedTxnJson(levels))).status, 200, label);
      } else {
        assert.deepEqual(await grpcFailure(unary(client, KVService.txn, nestedTxn(levels))), { code: 3, details: TOO_MANY_OPS }, label);
        assert.deepEqual(await post(server, '/v3/kv/txn', nestedTxnJson(levels)), failed(400, TOO_MANY_OPS, 3), label);
      }
    }
    // JSON nested past Go's 10,000 levels is a syntax error before any txn rule.
    assert.deepEqual(await post(server, '/v3/kv/txn', nestedTxnJson(3334)), failed(400, "invalid character '[' exceeded max depth", 3), server.target);
    assert.equal((await post(server, '/v3/kv/range', '{"key":"YQ=="}')).status, 200, `${server.target} keeps serving`);
  }
});
