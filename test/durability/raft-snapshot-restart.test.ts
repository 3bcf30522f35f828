// With a small --snapshot-count the member takes raft snapshots as it writes; a
// kill -9 and restart then rebuilds the raft log from the last snapshot point and
// the WAL after it, and every acknowledged write is still there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server-process.js';
import { RawKv } from '../support/raw-kv.js';

const SNAPSHOT_COUNT = 50;
const WRITES = 420;

test(`a member that snapshotted every ${SNAPSHOT_COUNT} entries restarts after kill -9 with all its writes`, async () => {
  const server = await startServer({ args: ['--snapshot-count', String(SNAPSHOT_COUNT)] });
  try {
    let kv = new RawKv(server.endpoint);
    let lastRevision = 0n;
    for (let i = 0; i < WRITES; i++) {
      const response = await kv.put({ key: Buffer.from(`snap/${String(i).padStart(4, '0')}`), value: Buffer.from(`v${i}`) });
      lastRevision = response.header?.revision ?? 0n;
    }
    kv.close();
    assert.match(server.logs(), /"msg":"saved snapshot"/, 'the member should have taken raft snapshots');
    await server.kill();
    await server.restart();

    kv = new RawKv(server.endpoint);
    const all = await kv.range({ key: Buffer.from('snap/'), rangeEnd: Buffer.from('snap0') });
    assert.equal(all.kvs.length, WRITES);
    assert.equal(all.header?.revision, lastRevision);
    const next = await kv.put({ key: Buffer.from('after'), value: Buffer.from('x') });
    assert.equal(next.header?.revision, lastRevision + 1n);
    const status = await kv.status();
    assert.ok(status.raftAppliedIndex >= BigInt(WRITES), `applied index ${status.raftAppliedIndex} should cover the writes`);
    kv.close();
  } finally {
    await server.stop();
  }
});
