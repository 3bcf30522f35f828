// A lease outlives a server outage: after a restart the new leader gives every
// lease its full TTL again (plus an election timeout), so a lease whose TTL would
// have run out during the outage still holds its key for a whole TTL afterwards.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { bytes, call, sleep, startWithClients } from './lease-fixture.js';

const TTL_SECONDS = 3n;
const OUTAGE_MS = 2500;
/** The extension a new leader adds: the in-process server's election timeout. */
const EXTENSION_MS = 1000;

test('a restart during a lease’s life neither loses it nor expires it early', async () => {
  const first = await startWithClients({ dataDir: 'temp' });
  const dataDir = first.running.dataDir;
  assert.ok(dataDir !== null);
  try {
    const { ID } = await call(first.clients.lease.leaseGrant.bind(first.clients.lease), { TTL: TTL_SECONDS, ID: 0n });
    const value = { value: bytes('v'), prevKv: false, ignoreValue: false, ignoreLease: false };
    await call(first.clients.kv.put.bind(first.clients.kv), { key: bytes('rs/key'), lease: ID, ...value });
    await first.close({ keepData: true });
    await sleep(OUTAGE_MS);

    const second = await startWithClients({ dataDir });
    const restartedAtMs = Date.now();
    try {
      const lease = second.clients.lease;
      const ttl = await call(lease.leaseTimeToLive.bind(lease), { ID, keys: true });
      assert.deepEqual(ttl.keys.map(String), ['rs/key']);
      assert.equal(ttl.grantedTTL, TTL_SECONDS);
      assert.ok(ttl.TTL >= TTL_SECONDS, `only ${ttl.TTL} s left after the restart`);
      let goneAtMs = 0;
      for (let poll = 0; poll < 200 && goneAtMs === 0; poll++) {
        const range = await call(second.clients.kv.range.bind(second.clients.kv), RangeRequest.fromPartial({ key: bytes('rs/key') }));
        if (range.count === 0n) goneAtMs = Date.now();
        else await sleep(50);
      }
      const lifeMs = goneAtMs - restartedAtMs;
      assert.ok(goneAtMs > 0, 'the key was never deleted');
      assert.ok(lifeMs >= Number(TTL_SECONDS) * 1000, `expired ${lifeMs} ms after the restart`);
      assert.ok(lifeMs <= Number(TTL_SECONDS) * 1000 + EXTENSION_MS + 1500, `expired only ${lifeMs} ms after the restart`);
    } finally {
      await second.close({ keepData: true });
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
