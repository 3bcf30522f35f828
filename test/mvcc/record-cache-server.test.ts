// Ranges through a real server while its record cache is warm: what a client reads
// follows overwrites, multi-key txns (revisions with sub > 0), deletes, history,
// compaction and a restart, over raw gRPC and etcdctl alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { etcdctlOk } from '../support/etcdctl.js';
import { grpcFailure } from '../support/grpc-raw.js';
import { RawKv } from '../support/raw-kv.js';
import { startServer } from '../support/server-process.js';

const KEYS = 200;
const PREFIX = Buffer.from('rc/');
const PREFIX_END = Buffer.from('rc0');
const TXN_KEYS = 8;

const keyOf = (i: number): string => `rc/${String(i).padStart(3, '0')}`;

/** The prefix as `key=value` lines, read twice so the second read comes from the warm cache. */
async function prefixTwice(kv: RawKv, revision = 0): Promise<string[]> {
  const read = async (): Promise<string[]> => {
    const response = await kv.range({ key: PREFIX, rangeEnd: PREFIX_END, revision });
    return response.kvs.map((item) => `${item.key.toString()}=${item.value.toString()}@${item.modRevision}`);
  };
  const first = await read();
  assert.deepEqual(await read(), first, 'a repeated range reads the same');
  return first;
}

test('ranges over a warm record cache follow every change a client makes', { timeout: 60_000 }, async () => {
  const server = await startServer({ name: 'record-cache' });
  let kv = new RawKv(server.endpoint);
  try {
    const expected = new Map<string, string>();
    let revision = 0;
    for (let i = 0; i < KEYS; i++) {
      const put = await kv.put({ key: Buffer.from(keyOf(i)), value: Buffer.from(`a${i}`) });
      revision = Number(put.header?.revision);
      expected.set(keyOf(i), `a${i}@${revision}`);
    }
    const afterLoad = revision;
    const lines = (): string[] => [...expected].map(([k, v]) => `${k}=${v}`);
    assert.deepEqual(await prefixTwice(kv), lines());

    for (let i = 0; i < KEYS; i += 2) {
      revision = Number((await kv.put({ key: Buffer.from(keyOf(i)), value: Buffer.from(`b${i}`) })).header?.revision);
      expected.set(keyOf(i), `b${i}@${revision}`);
    }
    assert.deepEqual(await prefixTwice(kv), lines(), 'overwritten keys read their new values');

    // One txn: one main revision, the keys at subs 0..7.
    const success = Array.from({ length: TXN_KEYS }, (_, j) => ({
      request: { $case: 'requestPut' as const, value: { key: Buffer.from(keyOf(j * 3)), value: Buffer.from(`t${j}`) } },
    }));
    revision = Number((await kv.txn({ success })).header?.revision);
    for (let j = 0; j < TXN_KEYS; j++) expected.set(keyOf(j * 3), `t${j}@${revision}`);
    assert.deepEqual(await prefixTwice(kv), lines(), 'records written at sub > 0 read right');

    for (let i = 1; i < KEYS; i += 5) {
      await kv.deleteRange({ key: Buffer.from(keyOf(i)) });
      expected.delete(keyOf(i));
    }
    assert.deepEqual(await prefixTwice(kv), lines(), 'deleted keys are gone');
    const history = await prefixTwice(kv, afterLoad);
    assert.equal(history.length, KEYS);
    assert.equal(history[0], `${keyOf(0)}=a0@${afterLoad - KEYS + 1}`, 'history reads the first values');

    const head = Number((await kv.range({ key: Buffer.from(keyOf(0)) })).header?.revision);
    await kv.compact({ revision: head, physical: true });
    assert.deepEqual(await prefixTwice(kv), lines(), 'compaction keeps every live value');
    assert.deepEqual(await grpcFailure(kv.range({ key: PREFIX, rangeEnd: PREFIX_END, revision: afterLoad })), {
      code: status.OUT_OF_RANGE,
      details: 'etcdserver: mvcc: required revision has been compacted',
    });
    const ctlLines = (await etcdctlOk(server.endpoint, ['get', '--prefix', 'rc/'])).trim().split('\n');
    assert.deepEqual(ctlLines, [...expected].flatMap(([k, v]) => [k, v.split('@')[0] as string]));

    kv.close();
    await server.restart();
    kv = new RawKv(server.endpoint);
    assert.deepEqual(await prefixTwice(kv), lines(), 'a restarted server reads the same');
  } finally {
    kv.close();
    await server.stop();
  }
});
