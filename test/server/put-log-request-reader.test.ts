// The apply loop's fast read of put entries must give exactly what LogRequest.decode
// gives, or nothing (the caller then uses LogRequest.decode): never another request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogRequest } from '../../src/generated/internalpb/internal.js';
import { encodeLogRequest, encodePutLogRequest } from '../../src/server/log-request-bytes.js';
import { readPutLogRequest } from '../../src/server/put-log-request-reader.js';
import { seededRandom, type SeededRandom } from '../../src/util/seeded-random.js';

const EDGE_VALUES: readonly bigint[] = [
  0n, 1n, 127n, 128n, 16_383n, 16_384n, 2n ** 28n - 1n, 2n ** 28n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 35n,
  2n ** 53n, 2n ** 56n, 2n ** 63n - 1n, -1n, -128n, -(2n ** 63n),
];
const RANDOM_MESSAGES = 3000;
const MUTATIONS_PER_MESSAGE = 4;

function pick<T>(random: SeededRandom, values: readonly T[]): T {
  return values[random.int(0, values.length - 1)] as T;
}

function randomBigint(random: SeededRandom): bigint {
  if (random.int(0, 1) === 0) return pick(random, EDGE_VALUES);
  let value = 0n;
  for (let i = 0; i < 4; i++) value = (value << 16n) | BigInt(random.int(0, 0xffff));
  return BigInt.asIntN(64, value >> BigInt(random.int(0, 63)));
}

function randomBytes(random: SeededRandom): Buffer {
  const out = Buffer.alloc(pick(random, [0, 1, 127, 128, 300, 16_384]));
  for (let i = 0; i < out.length; i++) out[i] = random.int(0, 255);
  return out;
}

function randomPutEntry(random: SeededRandom, username = ''): Buffer {
  const put = {
    key: randomBytes(random),
    value: randomBytes(random),
    lease: randomBigint(random),
    prevKv: random.int(0, 1) === 1,
    ignoreValue: random.int(0, 1) === 1,
    ignoreLease: random.int(0, 1) === 1,
  };
  const meta = { id: BigInt.asUintN(64, randomBigint(random)), username, authRevision: BigInt.asUintN(64, randomBigint(random)), fromServer: random.int(0, 1) === 1 };
  return encodePutLogRequest(put, meta);
}

/** The generic decoder's answer, or undefined where it refuses the bytes. */
function generic(bytes: Uint8Array): LogRequest | undefined {
  try {
    return LogRequest.decode(bytes);
  } catch {
    return undefined;
  }
}

test('every put entry the encoder writes reads back as LogRequest.decode reads it', () => {
  const random = seededRandom(41);
  for (let i = 0; i < RANDOM_MESSAGES; i++) {
    const entry = randomPutEntry(random);
    const fast = readPutLogRequest(entry);
    assert.ok(fast !== undefined, `message ${i} took the fast path`);
    assert.deepEqual(fast, LogRequest.decode(entry), `message ${i}`);
  }
});

test('a put entry inside a larger buffer reads its key and value from the right place', () => {
  const entry = encodePutLogRequest(
    { key: Buffer.from('k1'), value: Buffer.from('value'), lease: 7n, prevKv: false, ignoreValue: false, ignoreLease: false },
    { id: 2n ** 63n + 5n, username: '', authRevision: 0n, fromServer: false },
  );
  const framed = Buffer.concat([Buffer.from('before'), entry, Buffer.from('after')]);
  const view = framed.subarray(6, 6 + entry.length);
  const read = readPutLogRequest(view);
  assert.equal(read?.op?.$case, 'put');
  if (read?.op?.$case !== 'put') return;
  assert.equal(read.op.value.key.toString(), 'k1');
  assert.equal(read.op.value.value.toString(), 'value');
  assert.equal(read.id, 2n ** 63n + 5n);
});

test('entries it was not written for are left to the generic decoder', () => {
  const random = seededRandom(43);
  assert.equal(readPutLogRequest(randomPutEntry(random, 'alice')), undefined, 'a username');
  const deleteRange = encodeLogRequest({ $case: 'deleteRange', value: { key: Buffer.from('a'), rangeEnd: Buffer.alloc(0), prevKv: false } }, { id: 1n, username: '', authRevision: 0n, fromServer: false });
  assert.equal(readPutLogRequest(deleteRange), undefined, 'another operation');
  assert.equal(readPutLogRequest(new Uint8Array(0)), undefined, 'an empty entry');
});

test('a truncated or damaged entry reads as LogRequest.decode reads it, or not at all', () => {
  const random = seededRandom(47);
  for (let i = 0; i < RANDOM_MESSAGES / 10; i++) {
    const entry = randomPutEntry(random);
    for (const cut of [1, 2, 3, Math.floor(entry.length / 2), entry.length - 1]) {
      const prefix = entry.subarray(0, Math.max(0, entry.length - cut));
      const fast = readPutLogRequest(prefix);
      if (fast !== undefined) assert.deepEqual(fast, generic(prefix), `message ${i} cut by ${cut}`);
    }
    for (let m = 0; m < MUTATIONS_PER_MESSAGE; m++) {
      const damaged = Buffer.from(entry);
      damaged[random.int(0, damaged.length - 1)] = random.int(0, 255);
      const fast = readPutLogRequest(damaged);
      if (fast !== undefined) assert.deepEqual(fast, generic(damaged), `message ${i} mutation ${m}`);
    }
  }
});
