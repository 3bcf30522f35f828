// The HTTP side of an etcd-ts client port as curl and fetch users see it: streams
// (watch, keep-alive, snapshot), /health with and without an alarm, the 3.5
// probes and /version.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pick } from '../support/etcdctl-output.js';
import { runCommand } from '../support/run-command.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const CURL_TIMEOUT_MS = 10_000;
const STREAM_READ_TIMEOUT_MS = 5_000;

let server: ServerProcess;
before(async () => {
  server = await startServer({ target: 'etcd-ts', name: 'gw-endpoints' });
});
after(async () => {
  await server?.stop();
});

async function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${server.clientUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function get(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.clientUrl}${path}`);
  return { status: response.status, text: await response.text() };
}

/** Opens a stream and returns a reader of its JSON lines; close() hangs up. */
async function openStream(path: string, body: unknown): Promise<{ next(): Promise<unknown>; close(): void }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), STREAM_READ_TIMEOUT_MS);
  const response = await fetch(`${server.clientUrl}${path}`, { method: 'POST', body: JSON.stringify(body), signal: controller.signal });
  assert.equal(response.status, 200);
  assert.ok(response.body);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    async next() {
      while (!buffered.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended; left: ${buffered}`);
        buffered += decoder.decode(value, { stream: true });
      }
      const line = buffered.slice(0, buffered.indexOf('\n'));
      buffered = buffered.slice(line.length + 1);
      return JSON.parse(line);
    },
    close() {
      clearTimeout(timer);
      controller.abort();
    },
  };
}

describe('with curl', () => {
  test('a put and a get through curl, as the etcd docs show them', async () => {
    const url = `${server.clientUrl}/v3/kv/put`;
    const put = await runCommand('/usr/bin/curl', ['-s', '-X', 'POST', url, '-d', JSON.stringify({ key: b64('curl'), value: b64('yes') })], { timeoutMs: CURL_TIMEOUT_MS });
    assert.equal(put.code, 0, put.stderr);
    assert.match(String(pick(JSON.parse(put.stdout), 'header', 'revision')), /^\d+$/);
    const range = await runCommand('/usr/bin/curl', ['-s', '-X', 'POST', `${server.clientUrl}/v3/kv/range`, '-d', JSON.stringify({ key: b64('curl') })], { timeoutMs: CURL_TIMEOUT_MS });
    assert.equal(pick(JSON.parse(range.stdout), 'kvs', 0, 'value'), b64('yes'));
  });
});

describe('streams', () => {
  test('a watch over HTTP sees a put made after it started, one JSON line per response', async () => {
    const watch = await openStream('/v3/watch', { create_request: { key: b64('live') } });
    try {
      assert.equal(pick(await watch.next(), 'result', 'created'), true);
      const put = await post('/v3/kv/put', { key: b64('live'), value: b64('1') });
      const event = await watch.next();
      assert.deepEqual(pick(event, 'result', 'events'), [
        {
          kv: {
            key: b64('live'),
            create_revision: pick(put.json, 'header', 'revision'),
            mod_revision: pick(put.json, 'header', 'revision'),
            version: '1',
            value: b64('1'),
          },
        },
      ]);
    } finally {
      watch.close();
    }
  });

  test('a lease keep-alive over HTTP answers with the lease and its TTL', async () => {
    await post('/v3/lease/grant', { TTL: 30, ID: 777 });
    const keepAlive = await openStream('/v3/lease/keepalive', { ID: '777' });
    try {
      const answer = await keepAlive.next();
      assert.equal(pick(answer, 'result', 'ID'), '777');
      assert.equal(pick(answer, 'result', 'TTL'), '30');
    } finally {
      keepAlive.close();
    }
  });

  test('a snapshot streams base64 chunks, the last one without remaining bytes', async () => {
    const response = await fetch(`${server.clientUrl}/v3/maintenance/snapshot`, { method: 'POST', body: '{}' });
    assert.equal(response.status, 200);
    const lines = (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as unknown);
    assert.ok(lines.length >= 1);
    for (const line of lines) assert.match(String(pick(line, 'result', 'blob')), /^[A-Za-z0-9+/]+=*$/);
    assert.equal(pick(lines.at(-1), 'result', 'remaining_bytes'), undefined);
  });
});

describe('health, probes and version', () => {
  test('/health is healthy, then unhealthy while NOSPACE is raised, and healthy again once it is cleared', async () => {
    assert.deepEqual(await get('/health'), { status: 200, text: '{"health":"true","reason":""}' });
    const memberId = pick((await post('/v3/maintenance/status', {})).json, 'header', 'member_id');
    const raised = await post('/v3/maintenance/alarm', { action: 'ACTIVATE', memberID: memberId, alarm: 'NOSPACE' });
    assert.equal(raised.status, 200);
    try {
      assert.deepEqual(await get('/health'), { status: 503, text: '{"health":"false","reason":"ALARM NOSPACE"}' });
      assert.equal((await get('/health?exclude=NOSPACE')).status, 200);
      const refused = await post('/v3/kv/put', { key: b64('full'), value: b64('x') });
      assert.deepEqual(refused, { status: 429, json: { error: 'etcdserver: mvcc: database space exceeded', message: 'etcdserver: mvcc: database space exceeded', code: 8 } });
    } finally {
      await post('/v3/maintenance/alarm', { action: 'DEACTIVATE', memberID: memberId, alarm: 'NOSPACE' });
    }
    assert.deepEqual(await get('/health'), { status: 200, text: '{"health":"true","reason":""}' });
  });

  test('/livez and /readyz say ok, and list their checks when verbose', async () => {
    assert.deepEqual(await get('/livez'), { status: 200, text: 'ok' });
    assert.deepEqual(await get('/readyz'), { status: 200, text: 'ok' });
    const verbose = await get('/readyz?verbose');
    assert.equal(verbose.text, '[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\nreadyz check passed\n');
  });

  test('/version names the etcd release and cluster version implemented', async () => {
    assert.deepEqual(await get('/version'), { status: 200, text: '{"etcdserver":"3.5.17","etcdcluster":"3.5.0"}' });
  });

  test('health pages take GET only, and other paths are not found', async () => {
    const response = await fetch(`${server.clientUrl}/health`, { method: 'POST' });
    assert.equal(response.status, 405);
    await response.arrayBuffer();
    assert.deepEqual(await get('/nothing'), { status: 404, text: '404 page not found\n' });
  });
});
