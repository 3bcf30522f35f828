// The corruption checks' rules without a cluster: what a member answers on
// /members/hashkv, and which answers make the leader raise CORRUPT (etcd's checkHashKV).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdError } from '../../src/errors/etcd-error.js';
import { SILENT_LOGGER } from '../../src/log/logger.js';
import { findMismatch, type LocalHash, type PeerHashAnswer } from '../../src/server/corruption-check.js';
import { answerPeerHashKv, type HashSource } from '../../src/server/corruption-peer-hash.js';

function source(answer: () => Promise<{ hash: number; compactRevision: number; hashRevision: number }>): HashSource {
  return { hashKV: answer, currentRevision: 42 };
}

test('a peer asks for a hash with JSON and gets Go-style JSON, or 400 with the mvcc text', async () => {
  const ok = await answerPeerHashKv(source(async () => ({ hash: 7, compactRevision: 0, hashRevision: 40 })), '{"revision":40}');
  assert.deepEqual(ok, { status: 200, body: '{"header":{"revision":42},"hash":7}' });
  const compacted = await answerPeerHashKv(source(() => Promise.reject(new EtcdError('Compacted'))), '{"revision":3}');
  assert.deepEqual(compacted, { status: 400, body: 'mvcc: required revision has been compacted\n' });
  const future = await answerPeerHashKv(source(() => Promise.reject(new EtcdError('FutureRev'))), '{"revision":99}');
  assert.deepEqual(future, { status: 400, body: 'mvcc: required revision is a future revision\n' });
  const garbage = await answerPeerHashKv(source(async () => ({ hash: 1, compactRevision: 0, hashRevision: 1 })), '{"revision":"x"');
  assert.equal(garbage.status, 400);
});

const peer = { id: 0xbn, peerUrls: ['http://127.0.0.1:1'] };
const at = (hash: number, revision = 10, compactRevision = 2): LocalHash => ({ hash, revision, compactRevision });
const answer = (hash: number, revision = 10, compactRevision = 2): PeerHashAnswer => ({ peer, answer: { ok: true, hash, revision, compactRevision } });

test("the leader's check finds a follower with another hash, a newer revision or a newer compaction", () => {
  assert.equal(findMismatch(at(5), at(5), [answer(5)], SILENT_LOGGER), null, 'same hash: fine');
  assert.equal(findMismatch(at(5), at(5), [answer(6)], SILENT_LOGGER), 0xbn, 'same compact revision, another hash');
  assert.equal(findMismatch(at(5), at(5), [answer(6, 10, 1)], SILENT_LOGGER), null, 'another compact revision: not comparable');
  assert.equal(findMismatch(at(5), at(5), [answer(5, 11)], SILENT_LOGGER), 0xbn, 'a follower ahead of its leader');
  assert.equal(findMismatch(at(5), at(5), [answer(5, 10, 3)], SILENT_LOGGER), 0xbn, 'a follower compacted beyond its leader');
  assert.equal(findMismatch(at(5), at(9), [], SILENT_LOGGER), 0n, 'the leader hashed the same revision twice and got two answers');
  const unreachable: PeerHashAnswer = { peer, answer: { ok: false, reason: 'unreachable', detail: 'down' } };
  assert.equal(findMismatch(at(5), at(5), [unreachable], SILENT_LOGGER), null, 'a peer that did not answer proves nothing');
});
