// One operator session of etcdctl auth, user and role commands, and KV, lease, watch,
// member and maintenance commands run with --user, played against etcd-ts and against
// Debian's etcd: every command must print the same and exit the same on both.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { etcdctl } from '../support/etcdctl.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { TEST_BCRYPT_ARGS } from './auth-fixture.js';

interface Step {
  readonly args: readonly string[];
  readonly input?: string;
  /** Where etcd 3.4 answers differently by design (documented at the step). */
  readonly etcdTsOnly?: { readonly code: number; readonly out: string };
}

const ROOT = ['--user', 'root:root-pw'];
const ALICE = ['--user', 'alice:alice-pw2'];
const LEASE = '<lease>';

const SESSION: readonly Step[] = [
  { args: ['user', 'add', 'root:root-pw'] },
  { args: ['role', 'add', 'root'] },
  { args: ['user', 'grant-role', 'root', 'root'] },
  { args: ['user', 'add', 'alice:alice-pw'] },
  { args: ['user', 'add', 'alice:again'] },
  { args: ['role', 'add', 'app'] },
  { args: ['role', 'grant-permission', 'app', 'readwrite', 'app/', '--prefix'] },
  { args: ['role', 'grant-permission', 'app', 'read', 'pub', '--from-key'] },
  { args: ['role', 'grant-permission', 'app', 'write', 'w1'] },
  { args: ['role', 'grant-permission', 'app', 'read', 'r1', 'r5'] },
  { args: ['role', 'grant-permission', 'nope', 'read', 'x'] },
  { args: ['user', 'grant-role', 'alice', 'app'] },
  { args: ['user', 'grant-role', 'alice', 'missing'] },
  { args: ['role', 'get', 'app'] },
  { args: ['role', 'list'] },
  { args: ['user', 'list'] },
  { args: ['user', 'get', 'alice'] },
  { args: ['user', 'get', 'alice', '--detail'] },
  { args: ['user', 'add', 'nopw', '--no-password'] },
  { args: ['user', 'grant-role', 'nopw', 'app'] },
  { args: ['auth', 'enable'] },
  { args: ['--user', 'nopw:anything', 'get', 'app/x'] },
  { args: ['get', 'app/x'] },
  { args: [...ROOT, 'user', 'passwd', 'alice', '--interactive=false'], input: 'alice-pw2\n' },
  { args: ['--user', 'alice:alice-pw', 'get', 'app/x'] },
  { args: [...ALICE, 'put', 'app/x', 'one'] },
  { args: [...ALICE, 'get', 'app/x'] },
  { args: [...ALICE, 'get', 'app/', '--prefix', '--keys-only'] },
  { args: [...ALICE, 'put', 'secret', 'no'] },
  { args: [...ALICE, 'get', 'secret'] },
  { args: [...ALICE, 'get', 'a', 'z'] },
  { args: [...ALICE, 'put', 'w1', 'blind'] },
  { args: [...ALICE, 'put', 'w1', 'blind', '--prev-kv'] },
  { args: [...ALICE, 'del', 'app/x', '--prev-kv'] },
  { args: [...ALICE, 'txn'], input: 'value("app/x") = "one"\n\nput app/t yes\n\nput secret no\n\n' },
  { args: [...ALICE, 'txn'], input: 'value("secret") = "one"\n\nput app/t yes\n\n\n' },
  { args: [...ALICE, 'lease', 'grant', '60'] },
  { args: [...ALICE, 'put', 'app/leased', 'v', '--lease', LEASE] },
  { args: [...ALICE, 'lease', 'timetolive', LEASE, '--keys'] },
  { args: [...ALICE, 'lease', 'revoke', LEASE] },
  { args: [...ALICE, 'watch', 'secret', '--rev', '1'] },
  { args: [...ALICE, 'member', 'list'] },
  { args: [...ALICE, 'member', 'add', 'extra', '--peer-urls', 'http://127.0.0.1:1'] },
  { args: [...ALICE, 'role', 'list'] },
  { args: [...ALICE, 'alarm', 'list'] },
  { args: [...ALICE, 'compaction', '2'] },
  { args: [...ALICE, 'user', 'delete', 'root'] },
  // etcd 3.4 sends its maintenance refusals unmapped (UNKNOWN "auth: permission denied"); 3.5 maps them.
  { args: [...ALICE, 'defrag'], etcdTsOnly: { code: 1, out: 'Failed to defragment etcd member[<endpoint>] (etcdserver: permission denied)' } },
  { args: [...ALICE, 'endpoint', 'hashkv'], etcdTsOnly: { code: 1, out: 'Error: etcdserver: permission denied' } },
  { args: [...ROOT, 'endpoint', 'hashkv'] },
  { args: [...ROOT, 'user', 'revoke-role', 'root', 'root'] },
  { args: [...ROOT, 'user', 'delete', 'root'] },
  { args: [...ROOT, 'role', 'delete', 'root'] },
  { args: [...ROOT, 'role', 'revoke-permission', 'app', 'w1'] },
  { args: [...ROOT, 'role', 'revoke-permission', 'app', 'w1'] },
  { args: [...ROOT, 'role', 'revoke-permission', 'app', 'app/', '--prefix'] },
  { args: [...ROOT, 'user', 'revoke-role', 'alice', 'app'] },
  { args: [...ROOT, 'user', 'revoke-role', 'alice', 'app'] },
  { args: [...ALICE, 'get', 'pub'] },
  { args: [...ROOT, 'role', 'delete', 'app'] },
  { args: [...ROOT, 'user', 'delete', 'alice'] },
  { args: [...ROOT, 'user', 'delete', 'alice'] },
  { args: [...ROOT, 'auth', 'disable'] },
  { args: ['user', 'list'] },
  { args: ['get', 'app/t'] },
];

interface Outcome {
  readonly code: number;
  readonly out: string;
}

/** What a user reads: stdout and the last stderr line, with URLs, IDs and hashes made neutral. */
function normalize(text: string, server: ServerProcess): string {
  return text
    .replaceAll(server.peerUrl, '<peer>')
    .replaceAll(server.endpoint, '<endpoint>')
    .replace(/^<endpoint>, \d+$/gm, '<endpoint>, <hash>')
    // Member and lease ids print as hex without leading zeros, so not always 16 digits.
    .replace(/\b[0-9a-f]{10,16}\b/g, '<id>')
    .replace(/^\{"level".*$/gm, '')
    .trim();
}

async function play(server: ServerProcess): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let lease = '';
  for (const step of SESSION) {
    const args = step.args.map((arg) => (arg === LEASE ? lease : arg));
    const watching = args.includes('watch');
    const result = await etcdctl(server.endpoint, args, { input: step.input, timeoutMs: watching ? 1500 : 10_000 });
    const granted = /lease ([0-9a-f]+) granted/.exec(result.stdout);
    if (granted?.[1] !== undefined) lease = granted[1];
    const lastError = result.stderr.trim().split('\n').filter((line) => !line.startsWith('{')).pop() ?? '';
    outcomes.push({ code: watching ? 0 : result.code, out: normalize(`${result.stdout}\n${lastError}`, server) });
  }
  return outcomes;
}

let etcdTs: ServerProcess;
let etcd: ServerProcess;
before(async () => {
  etcdTs = await startServer({ target: 'etcd-ts', args: TEST_BCRYPT_ARGS });
  etcd = await startServer({ target: 'etcd', args: TEST_BCRYPT_ARGS });
});
after(async () => {
  await etcdTs?.stop();
  await etcd?.stop();
});

test('the same etcdctl auth session prints the same on etcd-ts and etcd', { timeout: 120_000 }, async () => {
  const [ours, theirs] = await Promise.all([play(etcdTs), play(etcd)]);
  SESSION.forEach((step, index) => {
    const label = `etcdctl ${step.args.join(' ')}`;
    const expected = step.etcdTsOnly ?? theirs[index];
    assert.deepEqual(ours[index], expected, label);
  });
  // The session is not vacuous: alice was refused and allowed along the way.
  assert.ok(ours.some((outcome) => outcome.out.includes('permission denied')));
  assert.ok(ours.some((outcome) => outcome.out === 'app/x\none'));
});
