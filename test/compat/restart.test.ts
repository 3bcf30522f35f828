// Durability across restarts: what a client was told was written survives a clean
// stop and a SIGKILL, with the same revisions, compaction point and member identity.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { etcdctl, etcdctlJson, etcdctlOk } from '../support/etcdctl.js';
import { lastLine, pickNumber } from '../support/etcdctl-output.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
before(async () => {
  server = await startServer({ name: 'restart' });
});
after(async () => {
  await server?.stop();
});

const ctl = (...args: string[]): Promise<string> => etcdctlOk(server.endpoint, args);
const revisionNow = async (): Promise<number> =>
  pickNumber(await etcdctlJson(server.endpoint, ['get', 'none']), 'header', 'revision');
const memberId = async (): Promise<string> => (await ctl('endpoint', 'status')).split(', ')[1] ?? '';

test('a clean restart keeps keys, revision and member id', async () => {
  for (let i = 0; i < 5; i++) await ctl('put', `rs/${i}`, `v${i}`);
  const revision = await revisionNow();
  const id = await memberId();
  await server.restart();
  assert.equal(await revisionNow(), revision);
  assert.equal(await memberId(), id);
  assert.equal(await ctl('get', '--prefix', 'rs/', '--print-value-only'), 'v0\nv1\nv2\nv3\nv4\n');
});

test('acknowledged writes survive SIGKILL, and the next write continues the revisions', async () => {
  await ctl('put', 'rk/a', 'before-kill');
  await ctl('del', 'rs/0');
  const txn = await etcdctl(server.endpoint, ['txn'], { input: '\nput rk/b 1\nput rk/c 2\n\n\n' });
  assert.equal(txn.stdout, 'SUCCESS\n\nOK\n\nOK\n');
  const revision = await revisionNow();
  await server.kill();
  await server.restart();
  assert.equal(await revisionNow(), revision);
  assert.equal(await ctl('get', '--prefix', 'rk/', '--print-value-only'), 'before-kill\n1\n2\n');
  assert.equal(await ctl('get', 'rs/0'), '');
  const json = await etcdctlJson(server.endpoint, ['put', 'rk/after', 'x']);
  assert.equal(pickNumber(json, 'header', 'revision'), revision + 1);
});

test('history and the compaction point survive a SIGKILL', async () => {
  await ctl('put', 'rh/k', 'one');
  const one = await revisionNow();
  await ctl('put', 'rh/k', 'two');
  const two = await revisionNow();
  await ctl('put', 'rh/k', 'three');
  assert.equal(await ctl('compaction', String(two)), `compacted revision ${two}\n`);
  await server.kill();
  await server.restart();
  const below = await etcdctl(server.endpoint, ['get', 'rh/k', `--rev=${one}`]);
  assert.equal(lastLine(below.stderr), 'Error: etcdserver: mvcc: required revision has been compacted');
  assert.equal(await ctl('get', 'rh/k', `--rev=${two}`, '--print-value-only'), 'two\n');
  assert.equal(await ctl('get', 'rh/k', '--print-value-only'), 'three\n');
  const again = await etcdctl(server.endpoint, ['compaction', String(two)]);
  assert.equal(lastLine(again.stderr), 'Error: etcdserver: mvcc: required revision has been compacted');
});
