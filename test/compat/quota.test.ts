// The backend space quota: a server with a tiny --quota-backend-bytes fills up, raises
// the NOSPACE alarm, keeps serving reads and deletes, and writes again once disarmed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { lastLine } from '../support/etcdctl-output.js';
import { grpcFailure } from '../support/grpc-raw.js';
import { RawKv, bytes } from '../support/raw-kv.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const QUOTA_BYTES = 256 * 1024;
const FILL_VALUE_BYTES = 30_000;
// Far more than the quota needs; stops a server that never enforces it.
const FILL_PUTS_MAX = 200;
const NO_SPACE = { code: status.RESOURCE_EXHAUSTED, details: 'etcdserver: mvcc: database space exceeded' };

let server: ServerProcess;
let kv: RawKv;
let memberId = '';
before(async () => {
  server = await startServer({ name: 'quota', args: [`--quota-backend-bytes=${QUOTA_BYTES}`] });
  kv = new RawKv(server.endpoint);
  memberId = String((await kv.status()).header?.memberId ?? '');
});
after(async () => {
  kv?.close();
  await server?.stop();
});

/** Puts until the server refuses; returns how many puts it took. */
async function fillUntilRefused(): Promise<number> {
  for (let i = 0; i < FILL_PUTS_MAX; i++) {
    try {
      await kv.put({ key: bytes(`fill/${String(i).padStart(3, '0')}`), value: Buffer.alloc(FILL_VALUE_BYTES, i) });
    } catch (error) {
      assert.deepEqual(await grpcFailure(Promise.reject(error)), NO_SPACE);
      return i;
    }
  }
  throw new Error(`${FILL_PUTS_MAX} puts of ${FILL_VALUE_BYTES} bytes never hit a ${QUOTA_BYTES} byte quota`);
}

test('filling the quota refuses writes with NOSPACE and raises the alarm', async () => {
  const accepted = await fillUntilRefused();
  assert.ok(accepted > 0, 'the first small writes fit in the quota');
  const alarm = `memberID:${memberId} alarm:NOSPACE \n`;
  assert.equal(await etcdctlOk(server.endpoint, ['alarm', 'list']), alarm);
  // etcd 3.4 sends AlarmResponse without a header; later releases fill it in.
  const json = await etcdctlOk(server.endpoint, ['alarm', 'list', '-w', 'json']);
  assert.match(json, new RegExp(`^\\{("header":\\{[^}]*\\},)?"alarms":\\[\\{"memberID":${memberId},"alarm":1\\}\\]\\}\\n$`));
  assert.deepEqual((await kv.status()).errors, [alarm.trimEnd() + ' ']);
  assert.match(await etcdctlOk(server.endpoint, ['endpoint', 'status']), new RegExp(`, ${alarm.replace(/ \n$/, ' \\n')}$`));
});

test('with the alarm raised, every write is refused, even a tiny one', async () => {
  assert.deepEqual(await grpcFailure(kv.put({ key: bytes('tiny'), value: bytes('x') })), NO_SPACE);
  const result = await etcdctl(server.endpoint, ['put', 'tiny', 'x']);
  assert.equal(result.code, 1);
  assert.equal(lastLine(result.stderr), 'Error: etcdserver: mvcc: database space exceeded');
  const txn = kv.txn({ success: [{ request: { $case: 'requestPut', value: { key: bytes('tiny'), value: bytes('x') } } }] });
  assert.deepEqual(await grpcFailure(txn), NO_SPACE);
});

test('with the alarm raised, reads still work', async () => {
  assert.equal(await etcdctlOk(server.endpoint, ['get', 'fill/000', '--keys-only']), 'fill/000\n\n');
  const response = await kv.range({ key: bytes('fill/'), rangeEnd: bytes('fill0'), countOnly: true });
  assert.ok(response.count > 0n);
});

test('deletes work; disarming while the db is still over quota re-raises on the next write', async () => {
  const deleted = await etcdctlOk(server.endpoint, ['del', '--prefix', 'fill/']);
  assert.match(deleted, /^\d+\n$/);
  assert.equal(await etcdctlOk(server.endpoint, ['get', '--prefix', 'fill/']), '');
  assert.equal(await etcdctlOk(server.endpoint, ['alarm', 'disarm']), `memberID:${memberId} alarm:NOSPACE \n`);
  // Deleted keys still take space until compaction and defragmentation reclaim it.
  assert.deepEqual(await grpcFailure(kv.put({ key: bytes('tiny'), value: bytes('x') })), NO_SPACE);
  assert.equal(await etcdctlOk(server.endpoint, ['alarm', 'list']), `memberID:${memberId} alarm:NOSPACE \n`);
});

test('after compaction and defrag, alarm disarm clears the alarm and writes work again', async () => {
  const revision = (await kv.range({ key: bytes('any') })).header?.revision ?? 0n;
  assert.equal(await etcdctlOk(server.endpoint, ['compaction', String(revision), '--physical']), `compacted revision ${revision}\n`);
  assert.equal(await etcdctlOk(server.endpoint, ['defrag']), `Finished defragmenting etcd member[${server.endpoint}]\n`);
  assert.ok((await kv.status()).dbSize < BigInt(QUOTA_BYTES), 'defrag shrank the db below the quota');
  assert.equal(await etcdctlOk(server.endpoint, ['alarm', 'disarm']), `memberID:${memberId} alarm:NOSPACE \n`);
  assert.equal(await etcdctlOk(server.endpoint, ['alarm', 'list']), '');
  assert.equal(await etcdctlOk(server.endpoint, ['put', 'tiny', 'x']), 'OK\n');
  assert.equal(await etcdctlOk(server.endpoint, ['get', 'tiny', '--print-value-only']), 'x\n');
  assert.deepEqual((await kv.status()).errors, []);
});
