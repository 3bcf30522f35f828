// etcdctl's lease commands against a real server process, output byte for byte as
// etcd prints it, and a lease that survives a server restart for its full TTL.
// ETCD_TS_TARGET=etcd runs the same stories against etcd itself.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { sleep } from './lease-fixture.js';

let server: ServerProcess;
before(async () => {
  server = await startServer({ name: 'lease' });
});
after(async () => {
  await server?.stop();
});

const ctl = (...args: string[]) => etcdctlOk(server.endpoint, args);

async function grant(ttl: number): Promise<string> {
  const output = await ctl('lease', 'grant', String(ttl));
  const match = /^lease ([0-9a-f]{1,16}) granted with TTL\((\d+)s\)\n$/.exec(output);
  assert.ok(match, `unexpected grant output: ${output}`);
  return match[1]!;
}

describe('etcdctl lease', () => {
  test('grant, put --lease, timetolive --keys, keep-alive --once, list, revoke', async () => {
    const id = await grant(30);
    assert.equal(await ctl('put', '--lease', id, 'lz/1', 'x'), 'OK\n');
    assert.equal(await ctl('put', `--lease=${id}`, 'lz/2', 'y'), 'OK\n');
    assert.match(await ctl('lease', 'timetolive', id), new RegExp(`^lease ${id} granted with TTL\\(30s\\), remaining\\((29|30)s\\)\\n$`));
    assert.match(
      await ctl('lease', 'timetolive', id, '--keys'),
      new RegExp(`^lease ${id} granted with TTL\\(30s\\), remaining\\((29|30)s\\), attached keys\\(\\[lz/1 lz/2\\]\\)\\n$`),
    );
    assert.equal(await ctl('lease', 'keep-alive', '--once', id), `lease ${id} keepalived with TTL(30)\n`);
    const listed = await ctl('lease', 'list');
    assert.match(listed, /^found \d+ leases\n/);
    assert.ok(listed.split('\n').includes(id));
    assert.equal(await ctl('lease', 'revoke', id), `lease ${id} revoked\n`);
    assert.equal(await ctl('get', 'lz', '--prefix'), '');
  });

  test('a TTL below the minimum is granted as 2 s', async () => {
    assert.match(await ctl('lease', 'grant', '1'), /^lease [0-9a-f]{1,16} granted with TTL\(2s\)\n$/);
  });

  test('an unknown lease: timetolive says expired, revoke and keep-alive fail', async () => {
    assert.equal(await ctl('lease', 'timetolive', '1234'), 'lease 0000000000001234 already expired\n');
    const revoked = await etcdctl(server.endpoint, ['lease', 'revoke', '1234']);
    assert.equal(revoked.code, 1);
    assert.match(revoked.stderr, /Error: failed to revoke lease \(etcdserver: requested lease not found\)\n$/);
    const kept = await etcdctl(server.endpoint, ['lease', 'keep-alive', '--once', '1234']);
    assert.notEqual(kept.code, 0);
    assert.match(kept.stderr, /Error: etcdserver: requested lease not found\n$/);
  });

  test('put with an unknown lease fails with etcd’s message', async () => {
    const result = await etcdctl(server.endpoint, ['put', '--lease=1234', 'lz/none', 'x']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Error: etcdserver: requested lease not found\n$/);
  });
});

describe('a lease across a restart', () => {
  test('the restarted server keeps the lease and its key for a full TTL, then expires it', async () => {
    const id = await grant(5);
    await ctl('put', '--lease', id, 'rs/key', 'v');
    await server.restart();
    const restartedAtMs = Date.now();
    assert.match(await ctl('lease', 'timetolive', id, '--keys'), new RegExp(`^lease ${id} granted with TTL\\(5s\\), remaining\\([56]s\\), attached keys\\(\\[rs/key\\]\\)\\n$`));
    let goneAtMs = 0;
    for (let poll = 0; poll < 100 && goneAtMs === 0; poll++) {
      if ((await ctl('get', 'rs/key')) === '') goneAtMs = Date.now();
      else await sleep(100);
    }
    assert.ok(goneAtMs > 0, 'the key was never deleted');
    assert.ok(goneAtMs - restartedAtMs >= 5000, `gone ${goneAtMs - restartedAtMs} ms after the restart`);
    assert.equal(await ctl('lease', 'timetolive', id), `lease ${id} already expired\n`);
  });
});
