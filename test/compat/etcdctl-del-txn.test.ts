// etcdctl del (single keys, ranges, prefixes, --prev-kv) and txn fed on stdin, with
// compares on value, version, create and mod revision and both branches.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { etcdctl, etcdctlJson, etcdctlOk } from '../support/etcdctl.js';
import { decodeKvs, pick, pickNumber } from '../support/etcdctl-output.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

async function putAll(entries: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(entries)) await etcdctlOk(server.endpoint, ['put', key, value]);
}

const ctl = (...args: string[]): Promise<string> => etcdctlOk(server.endpoint, args);
const PROMPTS = 'compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\n';

describe('etcdctl del', () => {
  test('del prints how many keys it deleted, 0 for a missing key', async () => {
    await putAll({ 'd/one': '1' });
    assert.equal(await ctl('del', 'd/one'), '1\n');
    assert.equal(await ctl('del', 'd/one'), '0\n');
    assert.equal(await ctl('get', 'd/one'), '');
  });

  test('--prev-kv prints the deleted keys and values after the count', async () => {
    await putAll({ 'd/p/a': 'x', 'd/p/b': 'y' });
    assert.equal(await ctl('del', '--prefix', 'd/p/', '--prev-kv'), '2\nd/p/a\nx\nd/p/b\ny\n');
  });

  test('--prefix deletes only keys under the prefix', async () => {
    await putAll({ 'd/q/a': '1', 'd/q/b': '2', 'd/qz': '3' });
    assert.equal(await ctl('del', '--prefix', 'd/q/'), '2\n');
    assert.equal(await ctl('get', '--prefix', 'd/q'), 'd/qz\n3\n');
  });

  test('a range [key, end) deletes up to but not including end', async () => {
    await putAll({ 'd/r/a': '1', 'd/r/b': '2', 'd/r/c': '3' });
    assert.equal(await ctl('del', 'd/r/a', 'd/r/c'), '2\n');
    assert.equal(await ctl('get', '--prefix', 'd/r/'), 'd/r/c\n3\n');
  });

  test('--from-key deletes every key at or after the key', async () => {
    await putAll({ 'zz/a': '1', 'zz/b': '2', 'zz/c': '3' });
    assert.equal(await ctl('del', '--from-key', 'zz/b'), '2\n');
    assert.equal(await ctl('get', '--from-key', 'zz/'), 'zz/a\n1\n');
  });

  test('a delete is one new revision; -w json shows the deleted count and prev kvs', async () => {
    await putAll({ 'd/j/a': '1', 'd/j/b': '2' });
    const before = pickNumber(await etcdctlJson(server.endpoint, ['get', 'x']), 'header', 'revision');
    const json = await etcdctlJson(server.endpoint, ['del', '--prefix', 'd/j/', '--prev-kv']);
    assert.equal(pickNumber(json, 'header', 'revision'), before + 1);
    assert.equal(pick(json, 'deleted'), 2);
    assert.deepEqual(
      decodeKvs(pick(json, 'prev_kvs')).map((kv) => [kv.key, kv.value, kv.version]),
      [['d/j/a', '1', 1], ['d/j/b', '2', 1]],
    );
  });

  test('deleting nothing does not create a revision', async () => {
    const before = pickNumber(await etcdctlJson(server.endpoint, ['get', 'x']), 'header', 'revision');
    const json = await etcdctlJson(server.endpoint, ['del', 'd/none']);
    assert.equal(pickNumber(json, 'header', 'revision'), before);
    assert.equal(pick(json, 'deleted'), undefined);
  });

  test('a key recreated after delete starts again at version 1 with a new create revision', async () => {
    await putAll({ 'd/again': '1' });
    await putAll({ 'd/again': '2' });
    await ctl('del', 'd/again');
    await putAll({ 'd/again': '3' });
    const json = await etcdctlJson(server.endpoint, ['get', 'd/again']);
    const [kv] = decodeKvs(pick(json, 'kvs'));
    assert.equal(kv?.version, 1);
    assert.equal(kv?.create_revision, pickNumber(json, 'header', 'revision'));
  });
});

describe('etcdctl txn', () => {
  before(async () => {
    await putAll({ 't/a': '1', 't/b': '2' });
  });

  test('txn -i takes the success branch when the compares hold and prints each response', async () => {
    const input = 'value("t/a") = "1"\nversion("t/b") = "1"\n\nput t/c 3\nget t/b\n\nput t/fail x\n\n';
    const result = await etcdctl(server.endpoint, ['txn', '-i'], { input });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${PROMPTS}SUCCESS\n\nOK\n\nt/b\n2\n`);
    assert.equal(await ctl('get', 't/c', '--print-value-only'), '3\n');
    assert.equal(await ctl('get', 't/fail'), '');
  });

  test('txn -i takes the failure branch when a compare fails', async () => {
    const input = 'value("t/a") = "nope"\n\nput t/s x\n\nput t/f 1\ndel t/b\n\n';
    const result = await etcdctl(server.endpoint, ['txn', '-i'], { input });
    assert.equal(result.stdout, `${PROMPTS}FAILURE\n\nOK\n\n1\n`);
    assert.equal(await ctl('get', 't/s'), '');
    assert.equal(await ctl('get', 't/f', '--print-value-only'), '1\n');
    assert.equal(await ctl('get', 't/b'), '');
  });

  test('txn without -i reads the same script from stdin without prompts', async () => {
    const result = await etcdctl(server.endpoint, ['txn'], { input: 'create("t/a") > "0"\n\nget t/a\n\n\n' });
    assert.equal(result.stdout, 'SUCCESS\n\nt/a\n1\n');
  });

  test('mod and create revision compares use the revisions in the store', async () => {
    const json = await etcdctlJson(server.endpoint, ['get', 't/a']);
    const mod = decodeKvs(pick(json, 'kvs'))[0]?.mod_revision ?? 0;
    const holds = await etcdctl(server.endpoint, ['txn'], { input: `mod("t/a") = "${mod}"\n\nput t/m yes\n\n\n` });
    assert.equal(holds.stdout, 'SUCCESS\n\nOK\n');
    const fails = await etcdctl(server.endpoint, ['txn'], { input: `mod("t/a") > "${mod}"\n\n\nget t/m\n\n` });
    assert.equal(fails.stdout, 'FAILURE\n\nt/m\nyes\n');
  });

  test('a compare on a missing key sees version 0 and create revision 0', async () => {
    const result = await etcdctl(server.endpoint, ['txn'], {
      input: 'version("t/missing") = "0"\ncreate("t/missing") = "0"\n\nput t/missing now\n\n\n',
    });
    assert.equal(result.stdout, 'SUCCESS\n\nOK\n');
  });

  test('a txn is one revision however many writes it holds; -w json shows every response', async () => {
    await putAll({ 't/z': 'old' });
    const before = pickNumber(await etcdctlJson(server.endpoint, ['get', 'x']), 'header', 'revision');
    const result = await etcdctl(server.endpoint, ['txn', '-w', 'json'], { input: '\nput t/x 1\nput t/y 2\ndel t/z\n\n\n' });
    const json: unknown = JSON.parse(result.stdout);
    assert.equal(pickNumber(json, 'header', 'revision'), before + 1);
    assert.equal(pick(json, 'succeeded'), true);
    assert.deepEqual(
      (pick(json, 'responses') as unknown[]).map((r) => Object.keys(pick(r, 'Response') as object)[0]),
      ['ResponsePut', 'ResponsePut', 'ResponseDeleteRange'],
    );
    assert.equal(pick(json, 'responses', 2, 'Response', 'ResponseDeleteRange', 'deleted'), 1);
    const y = decodeKvs(pick(await etcdctlJson(server.endpoint, ['get', 't/y']), 'kvs'))[0];
    assert.equal(y?.mod_revision, before + 1);
  });

  test('a txn that writes the same key twice is rejected', async () => {
    const result = await etcdctl(server.endpoint, ['txn'], { input: '\nput t/dup 1\nput t/dup 2\n\n\n' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Error: etcdserver: duplicate key given in txn request\n$/);
  });
});
