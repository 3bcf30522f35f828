// etcdctl's maintenance commands against one server: compaction and reading around it,
// endpoint status/health/hashkv, member list, alarms, and the HTTP /version and /health.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { etcdctl, etcdctlJson, etcdctlOk } from '../support/etcdctl.js';
import { lastLine, pick, pickNumber } from '../support/etcdctl-output.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
before(async () => {
  server = await startServer({ name: 'maint' });
});
after(async () => {
  await server?.stop();
});

const ctl = (...args: string[]): Promise<string> => etcdctlOk(server.endpoint, args);
const COMPACTED = 'Error: etcdserver: mvcc: required revision has been compacted';
const FUTURE = 'Error: etcdserver: mvcc: required revision is a future revision';

async function revisionOfPut(key: string, value: string): Promise<number> {
  await ctl('put', key, value);
  return pickNumber(await etcdctlJson(server.endpoint, ['get', key]), 'kvs', 0, 'mod_revision');
}

async function hashOf(): Promise<{ hash: number; compactRevision: number; revision: number }> {
  const json = await etcdctlJson(server.endpoint, ['endpoint', 'hashkv']);
  return {
    hash: pickNumber(json, 0, 'HashKV', 'hash'),
    compactRevision: pickNumber(json, 0, 'HashKV', 'compact_revision'),
    revision: pickNumber(json, 0, 'HashKV', 'header', 'revision'),
  };
}

describe('compaction', () => {
  let r1 = 0;
  let r2 = 0;
  let r3 = 0;
  before(async () => {
    r1 = await revisionOfPut('c/k', 'v1');
    r2 = await revisionOfPut('c/k', 'v2');
    r3 = await revisionOfPut('c/k', 'v3');
  });

  test('compaction prints the compacted revision', async () => {
    assert.equal(await ctl('compaction', String(r2)), `compacted revision ${r2}\n`);
  });

  test('reading below the compacted revision fails; at it and after it works', async () => {
    const below = await etcdctl(server.endpoint, ['get', 'c/k', `--rev=${r1}`]);
    assert.equal(below.code, 1);
    assert.equal(below.stdout, '');
    assert.equal(lastLine(below.stderr), COMPACTED);
    assert.equal(await ctl('get', 'c/k', `--rev=${r2}`), 'c/k\nv2\n');
    assert.equal(await ctl('get', 'c/k', `--rev=${r3}`), 'c/k\nv3\n');
  });

  test('compacting again at or below the compacted revision fails', async () => {
    for (const revision of [r1, r2]) {
      const result = await etcdctl(server.endpoint, ['compaction', String(revision)]);
      assert.equal(result.code, 1);
      assert.equal(lastLine(result.stderr), COMPACTED);
    }
  });

  test('compacting a future revision fails', async () => {
    const result = await etcdctl(server.endpoint, ['compaction', String(r3 + 1000)]);
    assert.equal(result.code, 1);
    assert.equal(lastLine(result.stderr), FUTURE);
  });

  test('compaction --physical waits and prints the same line; hashkv reports the compact revision', async () => {
    assert.equal(await ctl('compaction', String(r3), '--physical'), `compacted revision ${r3}\n`);
    assert.equal((await hashOf()).compactRevision, r3);
    const below = await etcdctl(server.endpoint, ['get', 'c/k', `--rev=${r3 - 1}`]);
    assert.equal(lastLine(below.stderr), COMPACTED);
  });

  test('compaction does not touch the latest value of a key', async () => {
    assert.equal(await ctl('get', 'c/k'), 'c/k\nv3\n');
  });
});

describe('endpoint', () => {
  test('endpoint status lists id, version, db size, leader, learner, term and indexes', async () => {
    const line = await ctl('endpoint', 'status');
    const pattern = new RegExp(
      `^${server.endpoint.replace(/\./g, '\\.')}, ([0-9a-f]+), (3\\.[45]\\.\\d+), \\d+(\\.\\d+)? [kMG]?B, true, false, (\\d+), (\\d+), (\\d+), \\n$`,
    );
    const match = pattern.exec(line);
    assert.ok(match, `unexpected status line: ${line}`);
    assert.equal(match[6], match[5], 'applied index equals raft index on an idle single member');
  });

  test('endpoint status -w json: the member is its own leader and reports db sizes', async () => {
    const json = await etcdctlJson(server.endpoint, ['endpoint', 'status']);
    assert.equal(pick(json, 0, 'Endpoint'), server.endpoint);
    const status = pick(json, 0, 'Status');
    assert.equal(pick(status, 'leader'), pick(status, 'header', 'member_id'));
    assert.match(String(pick(status, 'version')), /^3\.[45]\.\d+$/);
    assert.ok(pickNumber(status, 'dbSize') > 0);
    assert.ok(pickNumber(status, 'raftIndex') > 0);
    assert.ok(pickNumber(status, 'raftTerm') > 0);
    assert.equal(pickNumber(status, 'raftTerm'), pickNumber(status, 'header', 'raft_term'));
    assert.ok(pickNumber(status, 'raftAppliedIndex') >= pickNumber(status, 'raftIndex'));
  });

  test('endpoint health says healthy on stderr (etcdctl 3.4) and -w json says true', async () => {
    const result = await etcdctl(server.endpoint, ['endpoint', 'health']);
    assert.equal(result.code, 0);
    const text = result.stdout + result.stderr;
    assert.match(text, new RegExp(`^${server.endpoint} is healthy: successfully committed proposal: took = [\\d.]+[nµm]?s\\n$`));
    const json = await etcdctlJson(server.endpoint, ['endpoint', 'health']);
    assert.equal(pick(json, 0, 'endpoint'), server.endpoint);
    assert.equal(pick(json, 0, 'health'), true);
  });

  test('endpoint hashkv is stable while nothing changes and changes with a write', async () => {
    const first = await hashOf();
    const again = await hashOf();
    assert.equal(again.hash, first.hash);
    assert.ok(first.hash > 0);
    await ctl('put', 'h/new', 'x');
    const changed = await hashOf();
    assert.notEqual(changed.hash, first.hash);
    assert.equal(changed.revision, first.revision + 1);
    const text = await ctl('endpoint', 'hashkv');
    assert.equal(text, `${server.endpoint}, ${changed.hash}\n`);
  });

  test('endpoint hashkv --rev at a compacted revision fails', async () => {
    const result = await etcdctl(server.endpoint, ['endpoint', 'hashkv', '--rev=1']);
    assert.equal(result.code, 1);
    assert.equal(lastLine(result.stderr), COMPACTED);
  });
});

describe('member list and alarms', () => {
  test('member list shows this one started member with its name and URLs', async () => {
    const text = await ctl('member', 'list');
    const match = /^([0-9a-f]+), started, maint, (\S+), (\S+), false\n$/.exec(text);
    assert.ok(match, `unexpected member list: ${text}`);
    assert.equal(match[2], server.peerUrl);
    assert.equal(match[3], server.clientUrl);
    const status = await ctl('endpoint', 'status');
    assert.equal(status.split(', ')[1], match[1], 'member id in status and member list agree');
  });

  test('member list -w json shows name, peer and client URLs', async () => {
    const json = await etcdctlJson(server.endpoint, ['member', 'list']);
    const members = pick(json, 'members');
    assert.ok(Array.isArray(members));
    assert.equal(members.length, 1);
    assert.equal(pick(members, 0, 'name'), 'maint');
    assert.deepEqual(pick(members, 0, 'peerURLs'), [server.peerUrl]);
    assert.deepEqual(pick(members, 0, 'clientURLs'), [server.clientUrl]);
    assert.equal(pick(members, 0, 'isLearner'), undefined);
  });

  test('alarm list prints nothing when no alarm is raised, and alarm disarm is a no-op', async () => {
    assert.deepEqual(await etcdctl(server.endpoint, ['alarm', 'list']), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(await etcdctl(server.endpoint, ['alarm', 'disarm']), { code: 0, stdout: '', stderr: '' });
  });
});

describe('versions', () => {
  test('GET /version reports a 3.4 or 3.5 server and its cluster version', async () => {
    const response = await fetch(`${server.clientUrl}/version`);
    assert.equal(response.status, 200);
    const body: unknown = await response.json();
    const serverVersion = String(pick(body, 'etcdserver'));
    assert.match(serverVersion, /^3\.[45]\.\d+$/);
    // The cluster version is the major.minor of the members, patch 0.
    assert.equal(pick(body, 'etcdcluster'), serverVersion.replace(/\.\d+$/, '.0'));
  });

  test('GET /health reports healthy', async () => {
    const response = await fetch(`${server.clientUrl}/health`);
    assert.equal(response.status, 200);
    assert.equal(pick(await response.json(), 'health'), 'true');
  });

  test('endpoint status reports the same server version as /version', async () => {
    const body: unknown = await (await fetch(`${server.clientUrl}/version`)).json();
    const json = await etcdctlJson(server.endpoint, ['endpoint', 'status']);
    assert.equal(pick(json, 0, 'Status', 'version'), pick(body, 'etcdserver'));
  });
});
