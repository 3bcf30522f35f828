// etcdctl put and get against one server: every put flag, every get flag, and the
// revisions, versions and ordering a user sees in simple and JSON output.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { etcdctl, etcdctlJson, etcdctlOk } from '../support/etcdctl.js';
import { decodeKvs, lastLine, pick, pickNumber } from '../support/etcdctl-output.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

async function put(key: string, value: string, ...flags: string[]): Promise<string> {
  return etcdctlOk(server.endpoint, ['put', key, value, ...flags]);
}

async function currentRevision(): Promise<number> {
  return pickNumber(await etcdctlJson(server.endpoint, ['get', 'no-such-key']), 'header', 'revision');
}

describe('etcdctl put', () => {
  test('put prints OK and the value is read back', async () => {
    assert.equal(await put('put/plain', 'hello'), 'OK\n');
    assert.equal(await etcdctlOk(server.endpoint, ['get', 'put/plain']), 'put/plain\nhello\n');
  });

  test('--prev-kv prints the previous key and value after OK, and nothing more for a new key', async () => {
    assert.equal(await put('put/prev', 'one', '--prev-kv'), 'OK\n');
    assert.equal(await put('put/prev', 'two', '--prev-kv'), 'OK\nput/prev\none\n');
  });

  test('--ignore-value keeps the value and bumps version and mod revision', async () => {
    await put('put/keep', 'kept');
    const before = decodeKvs(pick(await etcdctlJson(server.endpoint, ['get', 'put/keep']), 'kvs'))[0];
    assert.equal(await etcdctlOk(server.endpoint, ['put', 'put/keep', '--ignore-value']), 'OK\n');
    const afterJson = await etcdctlJson(server.endpoint, ['get', 'put/keep']);
    const kv = decodeKvs(pick(afterJson, 'kvs'))[0];
    assert.equal(kv?.value, 'kept');
    assert.equal(kv?.version, (before?.version ?? 0) + 1);
    assert.equal(kv?.mod_revision, pickNumber(afterJson, 'header', 'revision'));
    assert.equal(kv?.create_revision, before?.create_revision);
  });

  test('--ignore-value on a missing key fails with key not found', async () => {
    const result = await etcdctl(server.endpoint, ['put', 'put/missing', '--ignore-value']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(lastLine(result.stderr), 'Error: etcdserver: key not found');
  });

  test('--ignore-value with a value is rejected by etcdctl itself', async () => {
    const result = await etcdctl(server.endpoint, ['put', 'put/keep', 'x', '--ignore-value']);
    assert.equal(result.code, 128);
    assert.equal(lastLine(result.stderr), "Error: put command needs only 1 argument when 'ignore-value' is set");
  });

  test('--ignore-lease on a key without a lease is accepted and writes the value', async () => {
    await put('put/lease', 'a');
    assert.equal(await put('put/lease', 'b', '--ignore-lease'), 'OK\n');
    assert.equal(await etcdctlOk(server.endpoint, ['get', 'put/lease', '--print-value-only']), 'b\n');
  });

  test('--ignore-lease on a missing key fails with key not found', async () => {
    const result = await etcdctl(server.endpoint, ['put', 'put/nolease', 'v', '--ignore-lease']);
    assert.equal(result.code, 1);
    assert.equal(lastLine(result.stderr), 'Error: etcdserver: key not found');
  });

  test('the value can come from stdin', async () => {
    assert.equal(await etcdctlOk(server.endpoint, ['put', 'put/stdin'], { input: 'from stdin' }), 'OK\n');
    assert.equal(await etcdctlOk(server.endpoint, ['get', 'put/stdin', '--print-value-only']), 'from stdin\n');
  });
});

describe('etcdctl put with leases and output formats', () => {
  // -w fields prints int64s as exact decimals, where JSON numbers lose lease ids' low bits.
  async function fields(key: string): Promise<Record<string, string>> {
    const text = await etcdctlOk(server.endpoint, ['get', key, '-w', 'fields']);
    return Object.fromEntries([...text.matchAll(/^"(\w+)" : (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  }

  test('--lease attaches a lease, --ignore-lease keeps it, a plain put detaches it', async () => {
    const granted = await etcdctlOk(server.endpoint, ['lease', 'grant', '60']);
    const match = /^lease ([0-9a-f]+) granted with TTL\(60s\)\n$/.exec(granted);
    assert.ok(match, granted);
    const leaseHex = match[1]!;
    const leaseDecimal = BigInt(`0x${leaseHex}`).toString();
    assert.equal(await put('pl/k', 'v1', `--lease=${leaseHex}`), 'OK\n');
    assert.equal((await fields('pl/k'))['Lease'], leaseDecimal);
    assert.equal(await put('pl/k', 'v2', '--ignore-lease'), 'OK\n');
    const kept = await fields('pl/k');
    assert.equal(kept['Lease'], leaseDecimal);
    assert.equal(kept['Value'], '"v2"');
    assert.equal(kept['Version'], '2');
    assert.equal(await put('pl/k', 'v3'), 'OK\n');
    assert.equal((await fields('pl/k'))['Lease'], '0');
  });

  test('-w fields shows every field of a key with quoted strings', async () => {
    await put('pf/k', 'val');
    const f = await fields('pf/k');
    const revision = f['Revision'];
    assert.deepEqual(
      { ...f, ClusterID: 'x', MemberID: 'x', RaftTerm: 'x' },
      {
        ClusterID: 'x', MemberID: 'x', RaftTerm: 'x', Revision: revision, Key: '"pf/k"',
        CreateRevision: revision, ModRevision: revision, Version: '1', Value: '"val"', Lease: '0',
        More: 'false', Count: '1',
      },
    );
  });

  test('put -w json --prev-kv shows the new revision and the previous key', async () => {
    await put('pj/k', 'old');
    const json = await etcdctlJson(server.endpoint, ['put', 'pj/k', 'new', '--prev-kv']);
    const revision = pickNumber(json, 'header', 'revision');
    const prev = decodeKvs([pick(json, 'prev_kv')])[0];
    assert.deepEqual(prev, { key: 'pj/k', value: 'old', create_revision: revision - 1, mod_revision: revision - 1, version: 1, lease: 0 });
  });

  // argv is UTF-8 from Node, so non-UTF-8 keys are covered by the raw gRPC tests.
  test('control and multi-byte keys round trip and --hex prints every byte as an escape', async () => {
    assert.equal(await put('pb/\u00e9\x01', 'bin'), 'OK\n');
    assert.equal(await etcdctlOk(server.endpoint, ['get', 'pb/\u00e9\x01', '--hex']), '\\x70\\x62\\x2f\\xc3\\xa9\\x01\n\\x62\\x69\\x6e\n');
  });
});

describe('etcdctl get', () => {
  let firstRevision = 0;
  before(async () => {
    // g/a, g/b, g/c, g/d, then h (outside the prefix); g/b gets a second version.
    firstRevision = (await currentRevision()) + 1;
    for (const [key, value] of [['g/a', '1'], ['g/b', '2'], ['g/c', '3'], ['g/d', '4'], ['h', '5'], ['g/b', '22']]) {
      await put(key!, value!);
    }
  });

  test('a missing key prints nothing and exits 0', async () => {
    assert.deepEqual(await etcdctl(server.endpoint, ['get', 'g/none']), { code: 0, stdout: '', stderr: '' });
  });

  test('--prefix lists keys in byte order as key/value line pairs', async () => {
    assert.equal(await etcdctlOk(server.endpoint, ['get', '--prefix', 'g/']), 'g/a\n1\ng/b\n22\ng/c\n3\ng/d\n4\n');
  });

  test('a range [key, end) excludes the end key', async () => {
    assert.equal(await etcdctlOk(server.endpoint, ['get', 'g/b', 'g/d']), 'g/b\n22\ng/c\n3\n');
  });

  test('--from-key lists every key at or after the key', async () => {
    // Other tests write keys after 'h' too, so look at the first two only.
    assert.equal(await etcdctlOk(server.endpoint, ['get', '--from-key', 'g/d', '--limit=2']), 'g/d\n4\nh\n5\n');
    assert.equal(await etcdctlOk(server.endpoint, ['get', '--from-key', 'g/c', '--keys-only', '--limit=2']), 'g/c\n\ng/d\n\n');
  });

  test('--limit cuts the list and JSON says there is more and counts all', async () => {
    assert.equal(await etcdctlOk(server.endpoint, ['get', '--prefix', 'g/', '--limit', '2']), 'g/a\n1\ng/b\n22\n');
    const json = await etcdctlJson(server.endpoint, ['get', '--prefix', 'g/', '--limit', '2']);
    assert.equal(pick(json, 'more'), true);
    assert.equal(pick(json, 'count'), 4);
    assert.equal(decodeKvs(pick(json, 'kvs')).length, 2);
  });

  test('--keys-only prints each key followed by an empty line', async () => {
    assert.equal(await etcdctlOk(server.endpoint, ['get', '--prefix', 'g/', '--keys-only']), 'g/a\n\ng/b\n\ng/c\n\ng/d\n\n');
  });

  test('--print-value-only prints only values', async () => {
    assert.equal(await etcdctlOk(server.endpoint, ['get', '--prefix', 'g/', '--print-value-only']), '1\n22\n3\n4\n');
  });

  test('--consistency=s reads the same data as a linearizable read', async () => {
    assert.equal(await etcdctlOk(server.endpoint, ['get', '--prefix', 'g/', '--consistency=s']), 'g/a\n1\ng/b\n22\ng/c\n3\ng/d\n4\n');
  });

  test('-w json shows revisions and versions of each key', async () => {
    const json = await etcdctlJson(server.endpoint, ['get', '--prefix', 'g/']);
    assert.equal(pick(json, 'count'), 4);
    assert.equal(pick(json, 'more'), undefined);
    assert.ok(pickNumber(json, 'header', 'revision') >= firstRevision + 5);
    assert.equal(pickNumber(json, 'header', 'raft_term') > 0, true);
    const r = firstRevision;
    assert.deepEqual(decodeKvs(pick(json, 'kvs')), [
      { key: 'g/a', value: '1', create_revision: r, mod_revision: r, version: 1, lease: 0 },
      { key: 'g/b', value: '22', create_revision: r + 1, mod_revision: r + 5, version: 2, lease: 0 },
      { key: 'g/c', value: '3', create_revision: r + 2, mod_revision: r + 2, version: 1, lease: 0 },
      { key: 'g/d', value: '4', create_revision: r + 3, mod_revision: r + 3, version: 1, lease: 0 },
    ]);
  });

  test('--rev reads the keyspace as it was at that revision', async () => {
    assert.equal(await etcdctlOk(server.endpoint, ['get', '--prefix', 'g/', `--rev=${firstRevision + 1}`]), 'g/a\n1\ng/b\n2\n');
    assert.equal(await etcdctlOk(server.endpoint, ['get', 'g/b', `--rev=${firstRevision + 4}`]), 'g/b\n2\n');
    assert.equal(await etcdctlOk(server.endpoint, ['get', 'g/b', `--rev=${firstRevision}`]), '');
  });

  test('--rev beyond the current revision fails with the future revision error', async () => {
    const result = await etcdctl(server.endpoint, ['get', 'g/a', '--rev=100000']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(lastLine(result.stderr), 'Error: etcdserver: mvcc: required revision is a future revision');
  });
});

describe('etcdctl get --sort-by and --order', () => {
  // Writes that give four keys four different orders by key, version, create, modify, value.
  before(async () => {
    const writes: [string, string][] = [
      ['s/c', 'x'], ['s/a', 'x'], ['s/d', '3'], ['s/b', 'x'],
      ['s/c', 'x'], ['s/c', 'x'], ['s/c', '2'], ['s/a', 'x'], ['s/a', '4'], ['s/b', '1'],
    ];
    for (const [key, value] of writes) await put(key, value);
  });

  const keys = async (...flags: string[]): Promise<string> =>
    (await etcdctlOk(server.endpoint, ['get', '--prefix', 's/', '--keys-only', ...flags])).replace(/\n\n/g, ' ').trim();

  const expected: [string, string][] = [
    ['KEY', 's/a s/b s/c s/d'],
    ['VERSION', 's/d s/b s/a s/c'],
    ['CREATE', 's/c s/a s/d s/b'],
    ['MODIFY', 's/d s/c s/a s/b'],
    ['VALUE', 's/b s/c s/d s/a'],
  ];
  for (const [target, ascending] of expected) {
    test(`--sort-by=${target} ascends by default and with --order=ASCEND, and reverses with DESCEND`, async () => {
      assert.equal(await keys(`--sort-by=${target}`), ascending);
      assert.equal(await keys(`--sort-by=${target}`, '--order=ASCEND'), ascending);
      assert.equal(await keys(`--sort-by=${target}`, '--order=DESCEND'), ascending.split(' ').reverse().join(' '));
    });
  }

  test('--order=DESCEND alone sorts by key descending', async () => {
    assert.equal(await keys('--order=DESCEND'), 's/d s/c s/b s/a');
  });

  test('--sort-by with --limit sorts before cutting', async () => {
    assert.equal(await keys('--sort-by=VERSION', '--order=DESCEND', '--limit=2'), 's/c s/a');
  });
});
