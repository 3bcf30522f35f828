// The one-pass encoders for the hottest messages must produce the generated
// encoders' bytes exactly: stored KeyValues are hashed (HashKV, corruption checks)
// and log entries are decoded by every member.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyValue } from '../../src/generated/mvccpb/kv.js';
import { LogRequest } from '../../src/generated/internalpb/internal.js';
import { encodeKeyValue } from '../../src/mvcc/key-value-bytes.js';
import { encodeLogRequest, encodeLogRequestAround, encodePutLogRequest } from '../../src/server/log-request-bytes.js';
import { rememberWireBytes } from '../../src/server/wire-request-bytes.js';
import { Compare_CompareResult, Compare_CompareTarget, TxnRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { varint64Bytes, writeVarint64 } from '../../src/util/proto-field-writer.js';
import { seededRandom, type SeededRandom } from '../../src/util/seeded-random.js';

/** Values at every varint length boundary, the 2^53 switch and both int64 ends. */
const EDGE_VALUES: readonly bigint[] = [
  0n, 1n, 127n, 128n, 16_383n, 16_384n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n,
  2n ** 56n - 1n, 2n ** 56n, 2n ** 63n - 1n, -1n, -128n, -(2n ** 63n), -(2n ** 63n) + 1n,
];
const RANDOM_VALUES = 5000;
const RANDOM_MESSAGES = 2000;

function pick<T>(random: SeededRandom, values: readonly T[]): T {
  return values[random.int(0, values.length - 1)] as T;
}

function bytes(random: SeededRandom): Buffer {
  const lengths = [0, 1, 127, 128, 300, 16_384];
  const out = Buffer.alloc(pick(random, lengths));
  for (let i = 0; i < out.length; i++) out[i] = random.int(0, 255);
  return out;
}

test('varint sizes and bytes agree with each other at every boundary', () => {
  for (const value of EDGE_VALUES) {
    const target = new Uint8Array(16);
    assert.equal(writeVarint64(target, 0, value), varint64Bytes(value), `value ${value}`);
  }
});

test('random 64-bit values (request and lease IDs) encode as the generated encoder does', () => {
  const random = seededRandom(29);
  for (let i = 0; i < RANDOM_VALUES; i++) {
    // Random bits at a random width, negative half the time: every varint length.
    const bits = random.int(1, 64);
    let value = 0n;
    for (let b = 0; b < bits; b += 16) value = (value << 16n) | BigInt(random.int(0, 0xffff));
    value = BigInt.asIntN(64, value & ((1n << BigInt(bits)) - 1n));
    // The generated encoder leaves a zero id out altogether.
    if (value === 0n) continue;
    const target = new Uint8Array(16);
    const end = writeVarint64(target, 0, value);
    // LogRequest's field 1 (id) is a uint64: its tag byte, then the varint.
    const expected = LogRequest.encode(LogRequest.fromPartial({ id: BigInt.asUintN(64, value) })).finish();
    assert.deepEqual(Buffer.from(target.subarray(0, end)), Buffer.from(expected.subarray(1)), `value ${value}`);
    assert.equal(varint64Bytes(value), end, `size of ${value}`);
  }
});

test('encodeKeyValue gives KeyValue.encode bytes for edge and random messages', () => {
  const random = seededRandom(17);
  for (let i = 0; i < RANDOM_MESSAGES; i++) {
    const kv: KeyValue = {
      key: bytes(random),
      createRevision: pick(random, EDGE_VALUES),
      modRevision: pick(random, EDGE_VALUES),
      version: pick(random, EDGE_VALUES),
      value: bytes(random),
      lease: pick(random, EDGE_VALUES),
    };
    assert.deepEqual(encodeKeyValue(kv), Buffer.from(KeyValue.encode(kv).finish()), `message ${i}`);
  }
});

test('encodePutLogRequest gives LogRequest.encode bytes, and decodes back to the request', () => {
  const random = seededRandom(23);
  const usernames = ['', 'root', 'ü-user-☃', 'x'.repeat(200)];
  for (let i = 0; i < RANDOM_MESSAGES; i++) {
    const put = {
      key: bytes(random),
      value: bytes(random),
      lease: pick(random, EDGE_VALUES),
      prevKv: random.int(0, 1) === 1,
      ignoreValue: random.int(0, 1) === 1,
      ignoreLease: random.int(0, 1) === 1,
    };
    const id = BigInt.asUintN(64, pick(random, EDGE_VALUES));
    const authRevision = BigInt.asUintN(64, pick(random, EDGE_VALUES));
    const username = pick(random, usernames);
    const fromServer = random.int(0, 1) === 1;
    const expected = LogRequest.encode({ id, op: { $case: 'put', value: put }, username, authRevision, fromServer }).finish();
    const actual = encodePutLogRequest(put, { id, username, authRevision, fromServer });
    assert.deepEqual(actual, Buffer.from(expected), `message ${i}`);
    const decoded = LogRequest.decode(actual);
    assert.equal(decoded.op?.$case, 'put');
    assert.equal(decoded.id, id);
    assert.equal(decoded.username, username);
  }
});

test('a txn received as bytes is proposed around those bytes, and decodes to the same txn', () => {
  const key = Buffer.from('k');
  const put = { key, value: Buffer.from('v'), lease: 5n, prevKv: false, ignoreValue: false, ignoreLease: false };
  const txn = TxnRequest.fromPartial({
    compare: [{ key, result: Compare_CompareResult.GREATER, target: Compare_CompareTarget.VERSION, targetUnion: { $case: 'version', value: 0n } }],
    success: [{ request: { $case: 'requestPut', value: put } }],
    failure: [{ request: { $case: 'requestDeleteRange', value: { key, rangeEnd: Buffer.alloc(0), prevKv: true } } }],
  });
  const meta = { id: 77n, username: 'alice', authRevision: 3n, fromServer: false };
  const expected = Buffer.from(LogRequest.encode({ ...meta, op: { $case: 'txn', value: txn } }).finish());
  const wire = TxnRequest.encode(txn).finish();
  assert.deepEqual(encodeLogRequestAround(4, wire, meta), expected);
  // A decoded request that remembers its bytes is wrapped around them, unknown fields and all.
  const withUnknownField = Buffer.concat([wire, Buffer.from([0xf8, 0x3f, 0x01])]);
  const received = TxnRequest.decode(withUnknownField);
  rememberWireBytes(received, withUnknownField);
  const proposed = encodeLogRequest({ $case: 'txn', value: received }, meta);
  assert.ok(Buffer.from(proposed).includes(withUnknownField), 'the received bytes are inside the entry');
  const decoded = LogRequest.decode(proposed);
  assert.equal(decoded.op?.$case, 'txn');
  assert.deepEqual(decoded.op?.$case === 'txn' ? TxnRequest.toJSON(decoded.op.value) : null, TxnRequest.toJSON(txn));
  assert.equal(decoded.username, 'alice');
  // One built in process has no bytes to reuse and is encoded as before.
  assert.deepEqual(Buffer.from(encodeLogRequest({ $case: 'txn', value: txn }, meta)), expected);
});
