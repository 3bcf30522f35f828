// A plain range hands on the stored KeyValue records: the Range serializer sends
// them without a decode, the bytes equal the generated encoding of the decoded
// response, and in-process readers of `kvs` still see every field.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { applyRange } from '../../src/apply/index.js';
import { RangeResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { KeyValue } from '../../src/generated/mvccpb/kv.js';
import { rangeResponseParts, serializeRangeResponse } from '../../src/mvcc/encoded-range-response.js';
import { keysOf, valuesOf, withKv, type KvFixture } from './kv-fixture.js';
import { prefixEnd, range } from './requests.js';

const HEADER = { clusterId: 7n, memberId: 9n, revision: 12n, raftTerm: 3n };

function seedPrefix(kv: KvFixture, count: number): void {
  // A long value makes a record's length a two-byte varint.
  for (let i = 0; i < count; i++) kv.seed(`p/${String(i).padStart(3, '0')}`, `v${i}-${'x'.repeat(i * 40)}`);
}

/** 1 KiB values: 300 keys pack into several 64 KiB chunks. */
function seedLarge(kv: KvFixture, count: number): void {
  for (let i = 0; i < count; i++) kv.seed(`big/${String(i).padStart(4, '0')}`, `${i}:${'y'.repeat(1024)}`);
}

function joined(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.length)));
}

/** What the generated encoder sends for the same response, decoded. */
function generatedBytes(response: RangeResponse): Buffer {
  const plain = { header: response.header, kvs: response.kvs.map((kv) => ({ ...kv })), more: response.more, count: response.count };
  return Buffer.from(RangeResponse.encode(plain).finish());
}

describe('applyRange with stored records', () => {
  it('serializes a plain prefix range without decoding a key, byte-equal to the generated encoding', () =>
    withKv((kv) => {
      seedPrefix(kv, 5);
      const decode = mock.method(KeyValue, 'decode');
      try {
        const response = applyRange(kv.read(), range('p/', { rangeEnd: prefixEnd('p/') }));
        response.header = HEADER;
        const bytes = serializeRangeResponse(response);
        assert.equal(decode.mock.callCount(), 0);
        assert.deepEqual(bytes, generatedBytes(response));
        const decoded = RangeResponse.decode(bytes);
        assert.deepEqual(keysOf(decoded.kvs), ['p/000', 'p/001', 'p/002', 'p/003', 'p/004']);
        assert.equal(decoded.count, 5n);
        assert.equal(decoded.more, false);
        assert.deepEqual(decoded.header, HEADER);
      } finally {
        decode.mock.restore();
      }
    }));

  it('keeps limit, more and count, and decodes kvs for in-process readers', () =>
    withKv((kv) => {
      seedPrefix(kv, 5);
      const response = applyRange(kv.read(), range('p/', { rangeEnd: prefixEnd('p/'), limit: 2n }));
      assert.equal(response.more, true);
      assert.equal(response.count, 5n);
      assert.deepEqual(keysOf(response.kvs), ['p/000', 'p/001']);
      assert.deepEqual(valuesOf(response.kvs), ['v0-', `v1-${'x'.repeat(40)}`]);
      assert.equal(response.kvs[1]?.version, 1n);
      assert.deepEqual(RangeResponse.decode(serializeRangeResponse(response)), RangeResponse.decode(generatedBytes(response)));
    }));

  it('encodes what a reader changed in kvs, not the stored records', () =>
    withKv((kv) => {
      seedPrefix(kv, 2);
      const response = applyRange(kv.read(), range('p/', { rangeEnd: prefixEnd('p/') }));
      const first = response.kvs[0];
      assert.ok(first !== undefined);
      first.value = Buffer.from('changed');
      assert.deepEqual(valuesOf(RangeResponse.decode(serializeRangeResponse(response)).kvs), ['changed', `v1-${'x'.repeat(40)}`]);
      response.kvs = [];
      assert.deepEqual(RangeResponse.decode(serializeRangeResponse(response)).kvs, []);
    }));

  it('sends an empty range as the generated encoder does', () =>
    withKv((kv) => {
      seedPrefix(kv, 1);
      const response = applyRange(kv.read(), range('q/', { rangeEnd: prefixEnd('q/') }));
      assert.deepEqual(serializeRangeResponse(response), generatedBytes(response));
      assert.equal(serializeRangeResponse(response).length, 0);
    }));

  it('packs a range larger than one chunk and cuts it at the limit, byte-equal to the generated encoding', () =>
    withKv((kv) => {
      seedLarge(kv, 300);
      const all = applyRange(kv.read(), range('big/', { rangeEnd: prefixEnd('big/') }));
      all.header = HEADER;
      const parts = rangeResponseParts(all);
      assert.ok(parts.parts.length > 3, `a 300 KiB reply comes in parts (got ${parts.parts.length})`);
      const bytes = joined(parts.parts);
      assert.equal(bytes.length, parts.bytes);
      parts.sent();
      const decoded = RangeResponse.decode(bytes);
      assert.equal(decoded.kvs.length, 300);
      assert.equal(decoded.kvs[299]?.value.toString(), `299:${'y'.repeat(1024)}`);
      assert.deepEqual(decoded.header, HEADER);

      // 150 records end inside a later chunk: the cut must fall on that record's end.
      const limited = applyRange(kv.read(), range('big/', { rangeEnd: prefixEnd('big/'), limit: 150n }));
      limited.header = HEADER;
      const limitedBytes = serializeRangeResponse(limited);
      assert.deepEqual(limitedBytes, generatedBytes(limited));
      assert.equal(limited.more, true);
      assert.equal(limited.count, 300n);
      assert.deepEqual(keysOf(limited.kvs).slice(-2), ['big/0148', 'big/0149']);
    }));

  it('a sent reply hands its chunks to the next range, and its records are not read again', () =>
    withKv((kv) => {
      seedLarge(kv, 200);
      const request = range('big/', { rangeEnd: prefixEnd('big/') });
      const first = applyRange(kv.read(), request);
      const firstParts = rangeResponseParts(first);
      const firstBuffers = new Set(firstParts.parts.map((part) => part.buffer));
      firstParts.sent();
      assert.throws(() => first.kvs, /read after release/);

      const second = applyRange(kv.read(), request);
      const secondParts = rangeResponseParts(second);
      assert.ok(secondParts.parts.some((part) => firstBuffers.has(part.buffer)), 'the second reply reuses the first one\'s chunks');
      assert.deepEqual(keysOf(RangeResponse.decode(joined(secondParts.parts)).kvs), keysOf(applyRange(kv.read(), request).kvs));
      secondParts.sent();
    }));

  it('a reply whose kvs were read in-process keeps its chunks: the decoded keys live in them', () =>
    withKv((kv) => {
      seedLarge(kv, 200);
      const request = range('big/', { rangeEnd: prefixEnd('big/') });
      const read = applyRange(kv.read(), request);
      const kvs = read.kvs;
      const parts = rangeResponseParts(read);
      assert.equal(parts.parts.length, 1, 'encoded from kvs, as one buffer');
      parts.sent();
      const other = rangeResponseParts(applyRange(kv.read(), request));
      other.sent();
      assert.equal(kvs[0]?.value.toString(), `0:${'y'.repeat(1024)}`);
      assert.equal(kvs[199]?.value.toString(), `199:${'y'.repeat(1024)}`);
    }));
});
