// The same JSON requests against real etcd and against etcd-ts give the same
// answers (ids and terms aside): bodies, HTTP statuses, error shapes and streams.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type ServerProcess } from '../support/server-process.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const STREAM_READ_TIMEOUT_MS = 5_000;

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** Ids and terms differ between any two clusters; everything else must not. */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalized);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = ['cluster_id', 'member_id', 'raft_term'].includes(key) ? '<varies>' : normalized(item);
  }
  return out;
}

async function post(server: ServerProcess, path: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${server.clientUrl}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  const json: unknown = response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text;
  return { status: response.status, body: normalized(json) };
}

/** Reads a streaming answer until it holds `lines` lines, then hangs up. */
async function streamLines(server: ServerProcess, path: string, body: unknown, lines: number): Promise<{ status: number; lines: unknown[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), STREAM_READ_TIMEOUT_MS);
  try {
    const response = await fetch(`${server.clientUrl}${path}`, { method: 'POST', body: JSON.stringify(body), signal: controller.signal });
    assert.ok(response.body);
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      if (text.split('\n').length > lines) break;
    }
    return { status: response.status, lines: text.split('\n').slice(0, lines).map((line) => normalized(JSON.parse(line))) };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** One user's session with the gateway; every answer is recorded. */
async function session(server: ServerProcess): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {};
  seen['put'] = await post(server, '/v3/kv/put', { key: b64('a'), value: b64('1') });
  seen['put prev_kv'] = await post(server, '/v3/kv/put', { key: b64('a'), value: b64('2'), prev_kv: true });
  seen['put b'] = await post(server, '/v3/kv/put', { key: b64('b'), value: b64('x') });
  seen['range prefix sorted'] = await post(server, '/v3/kv/range', { key: b64('a'), range_end: b64('c'), sort_order: 'DESCEND', sort_target: 'KEY' });
  seen['range count_only, numbers as numbers'] = await post(server, '/v3/kv/range', { key: b64('a'), range_end: b64('c'), count_only: true, limit: 1 });
  seen['range via v3beta'] = await post(server, '/v3beta/kv/range', { key: b64('a'), keys_only: true });
  seen['range future revision'] = await post(server, '/v3/kv/range', { key: b64('a'), revision: '1000' });
  seen['range without key'] = await post(server, '/v3/kv/range', {});
  seen['empty body'] = await post(server, '/v3/kv/range', '');
  seen['array body'] = await post(server, '/v3/kv/range', '[]');
  seen['txn'] = await post(server, '/v3/kv/txn', {
    compare: [{ key: b64('a'), target: 'VALUE', result: 'EQUAL', value: b64('2') }],
    success: [{ request_put: { key: b64('c'), value: b64('t') } }, { request_range: { key: b64('a') } }],
    failure: [{ request_delete_range: { key: b64('a') } }],
  });
  seen['txn failing compare'] = await post(server, '/v3/kv/txn', { compare: [{ key: b64('a'), target: 'MOD', result: 'LESS', mod_revision: '1' }] });
  seen['deleterange prev_kv'] = await post(server, '/v3/kv/deleterange', { key: b64('b'), range_end: b64('d'), prev_kv: true });
  seen['compaction'] = await post(server, '/v3/kv/compaction', { revision: '3' });
  seen['compaction again'] = await post(server, '/v3/kv/compaction', { revision: '2' });
  seen['range compacted'] = await post(server, '/v3/kv/range', { key: b64('a'), revision: '2' });
  seen['lease grant'] = await post(server, '/v3/lease/grant', { TTL: '60', ID: '4242' });
  seen['put with lease'] = await post(server, '/v3/kv/put', { key: b64('l'), value: b64('v'), lease: '4242' });
  seen['lease leases'] = await post(server, '/v3/lease/leases', {});
  seen['lease revoke'] = await post(server, '/v3/lease/revoke', { ID: '4242' });
  seen['lease revoke unknown (kv alias)'] = await post(server, '/v3/kv/lease/revoke', { ID: '4242' });
  seen['lease timetolive unknown'] = await post(server, '/v3/lease/timetolive', { ID: '4242' });
  seen['unknown path'] = await post(server, '/v3/kv/nothing', {});
  const get = await fetch(`${server.clientUrl}/v3/kv/range`);
  seen['GET on an rpc path'] = { status: get.status, body: await get.text() };
  seen['watch from revision 3'] = await streamLines(server, '/v3/watch', { create_request: { key: b64('a'), range_end: b64('d'), start_revision: '3' } }, 2);
  seen['watch from a compacted revision'] = await streamLines(server, '/v3/watch', { create_request: { key: b64('a'), start_revision: '2' } }, 2);
  return seen;
}

let etcd: ServerProcess;
let ours: ServerProcess;
before(async () => {
  [etcd, ours] = await Promise.all([startServer({ target: 'etcd', name: 'gw-etcd' }), startServer({ target: 'etcd-ts', name: 'gw-ts' })]);
});
after(async () => {
  await Promise.all([etcd?.stop(), ours?.stop()]);
});

test('a gateway session reads the same on etcd-ts as on etcd', async () => {
  const expected = await session(etcd).catch((error: unknown) => {
    throw new Error(`real etcd: ${String(error)}`);
  });
  const actual = await session(ours);
  for (const [step, answer] of Object.entries(expected)) assert.deepEqual(actual[step], answer, step);
});
