// HeaderListReader, which decodes a header block fragment by fragment: wherever the block is
// cut (mid-integer, mid-string, between fields) it yields the fields a whole-block decoder
// yields and keeps the same HPACK table; a list over the limit, or malformed as Go's HTTP/2
// framer judges it (the first of the two decides), is refused but still indexes; a
// string over the limit, a block ending inside a field and a table size update after a field
// are errors that end the connection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeaderListReader } from '../../src/api/h2server/h2-header-list.js';
import { HpackDecoder, type HeaderField } from '../../src/api/http2/hpack-decoder.js';
import { Http2InputError } from '../../src/api/http2/http2-input-error.js';
import { encodeHuffmanBlock, encodePlainBlock, field, IndexingEncoder, tableSizeUpdate } from '../http2/raw-h2-client.js';

const LIMIT_BYTES = 4096;
const pairs = (fields: readonly HeaderField[] | null): Array<[string, string]> | null => fields?.map((one) => [one.name, one.value]) ?? null;

/** A block with a table size update, indexed, literal-indexed, huffman and long (multi-byte length) fields. */
function sampleBlocks(): Buffer[] {
  const encoder = new IndexingEncoder();
  const first = Buffer.concat([
    tableSizeUpdate(4096),
    encoder.encode([field(':method', 'POST'), field(':path', '/etcdserverpb.KV/Range'), field('x-indexed', 'v'.repeat(300))]),
    encodeHuffmanBlock([field('x-huffman', 'compressible text')]),
    encodePlainBlock([field('x-long', 'L'.repeat(1000))]),
  ]);
  const second = encoder.encode([field(':path', '/etcdserverpb.KV/Range'), field('x-indexed', 'v'.repeat(300))]);
  return [first, second];
}

function readInPieces(reader: HeaderListReader, block: Buffer, cuts: readonly number[]): HeaderField[] | null {
  let at = 0;
  for (const cut of [...cuts, block.length]) {
    reader.push(block.subarray(at, cut));
    at = cut;
  }
  const list = reader.finish();
  return list.kind === 'fields' ? list.fields : null;
}

test('cut anywhere, a block reads as the whole-block decoder reads it, and the table follows', () => {
  const [first, second] = sampleBlocks() as [Buffer, Buffer];
  const whole = new HpackDecoder();
  const expected = [pairs(whole.decode(first)), pairs(whole.decode(second))];
  for (let cut = 0; cut <= first.length; cut += 1) {
    const reader = new HeaderListReader(LIMIT_BYTES);
    assert.deepEqual(pairs(readInPieces(reader, first, [cut])), expected[0], `cut at ${cut}`);
    assert.deepEqual(pairs(readInPieces(reader, second, [])), expected[1], `the next block after a cut at ${cut}`);
  }
  const byteByByte = new HeaderListReader(LIMIT_BYTES);
  assert.deepEqual(pairs(readInPieces(byteByByte, first, Array.from({ length: first.length }, (_, index) => index))), expected[0]);
});

test('a list over the limit is null, yet what it indexed serves the next block', () => {
  const encoder = new IndexingEncoder();
  const reader = new HeaderListReader(LIMIT_BYTES);
  const over = Buffer.concat([encoder.encode([field('x-kept', 'k')]), encodePlainBlock([field('x-pad', 'p'.repeat(LIMIT_BYTES - 10))])]);
  assert.equal(readInPieces(reader, over, [3]), null);
  assert.deepEqual(pairs(readInPieces(reader, encoder.encode([field('x-kept', 'k')]), [])), [['x-kept', 'k']]);
});

test('a string over the limit, a block ending inside a field, and a late table size update are errors', () => {
  const long = encodePlainBlock([field('x-long', 'L'.repeat(LIMIT_BYTES + 1))]);
  // Refused from the string's length, before its bytes arrive.
  assert.throws(() => new HeaderListReader(LIMIT_BYTES).push(long.subarray(0, 12)), Http2InputError);
  const cut = new HeaderListReader(LIMIT_BYTES);
  cut.push(encodePlainBlock([field('x-a', 'value')]).subarray(0, 6));
  assert.throws(() => cut.finish(), Http2InputError);
  const late = new HeaderListReader(LIMIT_BYTES);
  late.push(encodePlainBlock([field('x-a', 'b')]));
  assert.throws(() => late.push(tableSizeUpdate(0)), Http2InputError);
});

test('a malformed list is refused with its first problem; whichever of malformed and too large comes first decides', () => {
  const kindOf = (fields: readonly HeaderField[]): string => {
    const list = new HeaderListReader(LIMIT_BYTES);
    list.push(encodePlainBlock(fields));
    const read = list.finish();
    return read.kind === 'malformed' ? `malformed: ${read.problem}` : read.kind;
  };
  const pad = field('x-pad', 'p'.repeat(LIMIT_BYTES));
  assert.equal(kindOf([field(':path', '/a/b'), field('x-ok', 'tab\tand \u00ff')]), 'fields');
  assert.equal(kindOf([field('x-Upper', 'v')]), 'malformed: invalid header name "x-Upper"');
  assert.equal(kindOf([field('x-a', 'line\nbreak')]), 'malformed: invalid value for x-a');
  assert.equal(kindOf([field('x-a', 'v'), field(':path', '/a/b')]), 'malformed: pseudo-header after a regular header');
  assert.equal(kindOf([field(':path', '/a'), field(':path', '/b')]), 'malformed: repeated pseudo-header :path');
  assert.equal(kindOf([field(':method', 'POST'), field(':status', '200')]), 'malformed: request and response pseudo-headers mixed');
  assert.equal(kindOf([field(':Path', '/a')]), 'malformed: unknown pseudo-header :Path');
  assert.equal(kindOf([field('x-Upper', 'v'), pad]), 'malformed: invalid header name "x-Upper"');
  assert.equal(kindOf([pad, field('x-Upper', 'v')]), 'tooLarge');
});

test('after a malformed list, what it indexed serves the next block', () => {
  const encoder = new IndexingEncoder();
  const reader = new HeaderListReader(LIMIT_BYTES);
  reader.push(encoder.encode([field('x-kept', 'k'), field('X-Bad', 'v')]));
  assert.equal(reader.finish().kind, 'malformed');
  assert.deepEqual(pairs(readInPieces(reader, encoder.encode([field('x-kept', 'k')]), [])), [['x-kept', 'k']]);
});
