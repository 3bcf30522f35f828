// The gateway's auth paths with the token in the Authorization header: the same
// script of calls goes to the real etcd and to etcd-ts, and every answer (status and
// body, ids and tokens aside) must be etcd's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type ServerProcess } from '../support/server-process.js';

const REQUEST_TIMEOUT_MS = 10_000;
/** Cheap password hashing for a test (etcd 3.4 takes the flag too). */
const BCRYPT_ARGS = ['--bcrypt-cost', '4'];

/** Who calls: a token logged in as that user, a made-up token, or no header at all. */
type As = 'root' | 'bob' | 'bogus' | 'empty' | 'bearer-root' | 'none';

interface Step {
  readonly path: string;
  readonly body: string;
  readonly as: As;
}

const step = (path: string, body: string, as: As = 'none'): Step => ({ path, body, as });

/** Set-up before auth is on, then calls with and without good tokens. */
const SCRIPT: readonly Step[] = [
  step('/v3/auth/enable', '{}'),
  step('/v3/auth/user/add', '{"name":"root","password":"pw"}'),
  step('/v3/auth/user/grant', '{"user":"root","role":"root"}'),
  step('/v3/auth/user/add', '{"name":"bob","password":"bpw"}'),
  step('/v3/auth/enable', '{}'),
  step('/v3/auth/authenticate', '{"name":"root","password":"bad"}'),
  step('/v3/auth/authenticate', '{"name":"nobody","password":"bad"}'),
  step('/v3/auth/authenticate', '{}'),
  step('/v3/auth/user/list', '{}'),
  step('/v3/auth/user/list', '{}', 'bogus'),
  step('/v3/auth/user/list', '{}', 'empty'),
  step('/v3/kv/range', '{"key":"YQ=="}', 'empty'),
  step('/v3/auth/user/list', '{}', 'bearer-root'),
  step('/v3/auth/user/list', '{}', 'root'),
  step('/v3/auth/user/get', '{"name":"bob"}', 'root'),
  step('/v3/auth/user/get', '{"name":"nope"}', 'root'),
  step('/v3/auth/role/add', '{"name":"r1"}', 'root'),
  step('/v3/auth/role/add', '{"name":"r1"}', 'root'),
  step('/v3/auth/role/add', '{"name":""}', 'root'),
  step('/v3/auth/role/grant', '{"name":"r1","perm":{"permType":"READWRITE","key":"YQ==","range_end":"Yg=="}}', 'root'),
  step('/v3/auth/role/get', '{"role":"r1"}', 'root'),
  step('/v3/auth/role/list', '{}', 'root'),
  step('/v3/auth/user/add', '{"name":"","password":"x"}', 'root'),
  step('/v3/auth/user/list', '{}', 'bob'),
  step('/v3/auth/role/add', '{"name":"r2"}', 'bob'),
  step('/v3/auth/user/get', '{"name":"bob"}', 'bob'),
  step('/v3/auth/user/get', '{"name":"root"}', 'bob'),
  step('/v3/kv/put', '{"key":"YQ==","value":"dg=="}', 'bob'),
  step('/v3/auth/user/grant', '{"user":"bob","role":"r1"}', 'root'),
  step('/v3/kv/put', '{"key":"YQ==","value":"dg=="}', 'bob'),
  step('/v3/kv/put', '{"key":"Yg==","value":"dg=="}', 'bob'),
  step('/v3/kv/range', '{"key":"YQ=="}'),
  step('/v3/kv/txn', '{"success":[{"request_range":{"key":"YQ=="}}]}', 'bob'),
  step('/v3/kv/txn', '{"success":[{"request_range":{"key":"eg=="}}]}', 'bob'),
  step('/v3/kv/compaction', '{"revision":"1"}', 'bob'),
  step('/v3/lease/grant', '{"TTL":"30"}', 'bob'),
  step('/v3/election/campaign', '{"name":"ZQ==","value":"dg=="}', 'bob'),
  step('/v3/lock/lock', '{"name":"bA=="}'),
  step('/v3/auth/disable', '{}', 'bob'),
  step('/v3/auth/disable', '{}', 'root'),
  step('/v3/kv/range', '{"key":"YQ=="}'),
];

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** Ids, terms, lease ids, tokens and revisions of the two clusters differ. */
function normalized(body: string): string {
  return body
    .replace(/"(cluster_id|member_id|raft_term|ID|lease|revision|create_revision|mod_revision)":"\d+"/g, '"$1":"N"')
    .replace(/"token":"[^"]*"/g, '"token":"T"');
}

async function call(server: ServerProcess, path: string, body: string, token: string | undefined): Promise<Answer> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: token };
  const response = await fetch(`${server.clientUrl}${path}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: response.status, body: normalized(await response.text()) };
}

async function login(server: ServerProcess, name: string, password: string): Promise<string> {
  const response = await fetch(`${server.clientUrl}/v3/auth/authenticate`, { method: 'POST', body: JSON.stringify({ name, password }) });
  const token = ((await response.json()) as { token?: unknown }).token;
  assert.equal(typeof token, 'string', `${server.target}: login as ${name}`);
  return String(token);
}

/** Runs the script on one server; logs in as soon as auth is on. */
async function runScript(server: ServerProcess): Promise<Answer[]> {
  const tokens = new Map<As, string | undefined>([['none', undefined], ['bogus', 'bogus.1'], ['empty', '']]);
  const answers: Answer[] = [];
  for (const { path, body, as } of SCRIPT) {
    if (as !== 'none' && !tokens.has(as)) {
      tokens.set('root', await login(server, 'root', 'pw'));
      tokens.set('bob', await login(server, 'bob', 'bpw'));
      tokens.set('bearer-root', `Bearer ${tokens.get('root') ?? ''}`);
    }
    answers.push(await call(server, path, body, tokens.get(as)));
  }
  return answers;
}

let etcd: ServerProcess;
let ours: ServerProcess;
before(async () => {
  [etcd, ours] = await Promise.all([
    startServer({ target: 'etcd', name: 'gw-auth-etcd', args: BCRYPT_ARGS }),
    startServer({ target: 'etcd-ts', name: 'gw-auth-ts', args: BCRYPT_ARGS }),
  ]);
});
after(async () => {
  await Promise.all([etcd?.stop(), ours?.stop()]);
});

test('auth over the gateway: enable, authenticate, users and roles, denied, anonymous and forged tokens answer as on etcd', async () => {
  const expected = await runScript(etcd);
  const actual = await runScript(ours);
  for (const [index, { path, body, as }] of SCRIPT.entries()) {
    assert.deepEqual(actual[index], expected[index], `step ${index}: ${path} ${body} as ${as}`);
  }
  // The script must reach the answers it is about, on etcd itself.
  const statuses = new Set(expected.map((answer) => answer.status));
  for (const status of [200, 400, 401, 403, 412, 500]) assert.ok(statuses.has(status), `etcd answered some step with ${status}`);
});
