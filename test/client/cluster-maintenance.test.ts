// Cluster and Maintenance through the client: the member list, a learner added and
// removed, status, alarms, hashKV, defragment, and a snapshot streamed to the end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EtcdClientError, MemberNotFoundError } from '../../src/client/client-errors.js';
import { openFixture, type ClientFixture } from './fixture.js';

let fx: ClientFixture;
before(async () => {
  fx = await openFixture();
});
after(async () => {
  await fx?.close();
});

describe('cluster', () => {
  test('one member, listening where we connected', async () => {
    const members = await fx.etcd.cluster.memberList();
    assert.equal(members.length, 1);
    assert.deepEqual(members[0]?.clientURLs, [fx.server.clientUrl]);
    assert.deepEqual(members[0]?.peerURLs, [fx.server.peerUrl]);
  });

  test('a learner can be added, updated, not promoted while out of sync, and removed; a missing member is MemberNotFoundError', async () => {
    const added = await fx.etcd.cluster.memberAdd(['http://127.0.0.1:1'], { isLearner: true });
    const id = added.member?.ID;
    assert.ok(id !== undefined && id > 0n);
    assert.equal(added.member?.isLearner, true);
    assert.equal(added.members.length, 2);
    const updated = await fx.etcd.cluster.memberUpdate(id, ['http://127.0.0.1:2']);
    assert.deepEqual(updated.find((member) => member.ID === id)?.peerURLs, ['http://127.0.0.1:2']);
    // A learner that never started cannot be in sync, so etcd refuses to promote it.
    await assert.rejects(fx.etcd.cluster.memberPromote(id), (error: unknown) => {
      assert.ok(error instanceof EtcdClientError);
      assert.equal(error.etcdMessage, 'etcdserver: can only promote a learner member which is in sync with leader');
      return true;
    });
    const remaining = await fx.etcd.cluster.memberRemove(id);
    assert.equal(remaining.length, 1);
    await assert.rejects(fx.etcd.cluster.memberRemove(id), MemberNotFoundError);
  });
});

describe('maintenance', () => {
  test('status names this member as leader and reports a database size', async () => {
    const [member] = await fx.etcd.cluster.memberList();
    const status = await fx.etcd.maintenance.status();
    assert.equal(status.leader, member?.ID);
    assert.ok(status.dbSize > 0n);
    assert.match(status.version, /^3\.\d+\.\d+/);
  });

  test('no alarms; hashKV is stable while nothing is written; defragment keeps the data', async () => {
    const p = fx.prefix('maint');
    assert.deepEqual(await fx.etcd.maintenance.alarms(), []);
    const put = await fx.etcd.put(`${p}k`, 'v');
    const first = await fx.etcd.maintenance.hashKv(put.revision);
    const second = await fx.etcd.maintenance.hashKv(put.revision);
    assert.equal(first.hash, second.hash);
    await fx.etcd.maintenance.defragment();
    assert.equal(await fx.etcd.getString(`${p}k`), 'v');
  });

  test('a snapshot streams the whole database in chunks', async () => {
    await fx.etcd.put(fx.prefix('snap'), 'x'.repeat(100_000));
    const status = await fx.etcd.maintenance.status();
    let bytes = 0;
    let chunks = 0;
    for await (const chunk of fx.etcd.maintenance.snapshot()) {
      bytes += chunk.length;
      chunks++;
    }
    assert.ok(chunks >= 1);
    // The stream is the backend file (etcd appends a 32-byte checksum), so at least the size status reported.
    assert.ok(bytes >= Number(status.dbSize), `snapshot ${bytes} bytes < db size ${status.dbSize}`);
  });
});
