// The HPACK decoder against RFC 7541 Appendix C: single fields (C.2), requests without
// and with Huffman (C.3, C.4) and responses with a 256-octet table that evicts (C.5, C.6);
// then malformed blocks, which are input errors, never crashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecoder } from '../../src/api/http2/hpack-decoder.js';
import { encodeHeaderBlock, encodeInteger } from '../../src/api/http2/hpack-encoder.js';
import { huffmanDecode } from '../../src/api/http2/hpack-huffman.js';
import { Http2InputError } from '../../src/api/http2/http2-input-error.js';

type Pairs = Array<[string, string]>;

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const pairsOf = (decoder: HpackDecoder, block: string): Pairs => decoder.decode(hex(block)).map((field) => [field.name, field.value]);
const tableOf = (decoder: HpackDecoder): Pairs => decoder.dynamicTable.map(([name, value]) => [name, value]);
const isInputError = (error: unknown): boolean => error instanceof Http2InputError;

const DATE_1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE_2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const LOCATION = 'https://www.example.com';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';

test('C.2: literal with indexing, without indexing, never indexed, indexed', () => {
  const withIndexing = new HpackDecoder();
  assert.deepEqual(pairsOf(withIndexing, '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'), [['custom-key', 'custom-header']]);
  assert.deepEqual(tableOf(withIndexing), [['custom-key', 'custom-header']]);
  assert.equal(withIndexing.dynamicTableBytes, 55);
  const without = new HpackDecoder();
  assert.deepEqual(pairsOf(without, '040c 2f73 616d 706c 652f 7061 7468'), [[':path', '/sample/path']]);
  assert.equal(without.dynamicTableBytes, 0);
  const never = new HpackDecoder();
  const fields = never.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'));
  assert.deepEqual(fields, [{ name: 'password', value: 'secret', neverIndexed: true }]);
  assert.equal(never.dynamicTableBytes, 0);
  assert.deepEqual(pairsOf(new HpackDecoder(), '82'), [[':method', 'GET']]);
});

const REQUESTS: Array<{ plain: string; huffman: string; fields: Pairs; table: Pairs; bytes: number }> = [
  {
    plain: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
    huffman: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
    fields: [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']],
    table: [[':authority', 'www.example.com']],
    bytes: 57,
  },
  {
    plain: '8286 84be 5808 6e6f 2d63 6163 6865',
    huffman: '8286 84be 5886 a8eb 1064 9cbf',
    fields: [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']],
    table: [['cache-control', 'no-cache'], [':authority', 'www.example.com']],
    bytes: 110,
  },
  {
    plain: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
    huffman: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
    fields: [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
    table: [['custom-key', 'custom-value'], ['cache-control', 'no-cache'], [':authority', 'www.example.com']],
    bytes: 164,
  },
];

for (const coding of ['plain', 'huffman'] as const) {
  test(`${coding === 'plain' ? 'C.3' : 'C.4'}: three requests on one connection share the dynamic table`, () => {
    const decoder = new HpackDecoder();
    for (const request of REQUESTS) {
      assert.deepEqual(pairsOf(decoder, request[coding]), request.fields);
      assert.deepEqual(tableOf(decoder), request.table);
      assert.equal(decoder.dynamicTableBytes, request.bytes);
    }
  });
}

const RESPONSES: Array<{ plain: string; huffman: string; fields: Pairs; table: Pairs; bytes: number }> = [
  {
    plain: `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
            2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
    huffman: `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
              2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
    fields: [[':status', '302'], ['cache-control', 'private'], ['date', DATE_1], ['location', LOCATION]],
    table: [['location', LOCATION], ['date', DATE_1], ['cache-control', 'private'], [':status', '302']],
    bytes: 222,
  },
  {
    plain: '4803 3330 37c1 c0bf',
    huffman: '4883 640e ffc1 c0bf',
    fields: [[':status', '307'], ['cache-control', 'private'], ['date', DATE_1], ['location', LOCATION]],
    table: [[':status', '307'], ['location', LOCATION], ['date', DATE_1], ['cache-control', 'private']],
    bytes: 222,
  },
  {
    plain: `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
            54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
            5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
    huffman: `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
              77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
              9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
    fields: [[':status', '200'], ['cache-control', 'private'], ['date', DATE_2], ['location', LOCATION], ['content-encoding', 'gzip'], ['set-cookie', COOKIE]],
    table: [['set-cookie', COOKIE], ['content-encoding', 'gzip'], ['date', DATE_2]],
    bytes: 215,
  },
];

for (const coding of ['plain', 'huffman'] as const) {
  test(`${coding === 'plain' ? 'C.5' : 'C.6'}: three responses with a 256-octet table evict the oldest entries`, () => {
    const decoder = new HpackDecoder(256);
    for (const response of RESPONSES) {
      assert.deepEqual(pairsOf(decoder, response[coding]), response.fields);
      assert.deepEqual(tableOf(decoder), response.table);
      assert.equal(decoder.dynamicTableBytes, response.bytes);
    }
  });
}

test('a table size update evicts, and one above the advertised size or after a field is refused', () => {
  const decoder = new HpackDecoder();
  decoder.decode(hex(REQUESTS[0]?.plain ?? ''));
  assert.equal(decoder.dynamicTableBytes, 57);
  assert.deepEqual(pairsOf(decoder, '20 82'), [[':method', 'GET']]);
  assert.equal(decoder.dynamicTableBytes, 0, 'size 0 empties the table');
  assert.throws(() => decoder.decode(encodeInteger(4097, 5, 0x20)), isInputError, '4096 + 1 is above the default');
  assert.equal(new HpackDecoder().decode(encodeInteger(4096, 5, 0x20)).length, 0);
  assert.throws(() => new HpackDecoder().decode(hex('82 20')), isInputError);
});

test('malformed blocks are input errors: bad indexes, truncation, bad Huffman padding, EOS', () => {
  const bad = ['80', 'be', 'ff ff ff ff ff 0f', '400a 6375', '41', '0f', '4182 ff', '4184 ffff ffff'];
  for (const block of bad) assert.throws(() => new HpackDecoder().decode(hex(block)), isInputError, block);
  // Padding of 8 bits (a whole 0xff byte after a complete code) is too long.
  assert.throws(() => huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff ff')), isInputError);
  assert.equal(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff')).toString('latin1'), 'www.example.com');
});

test('the encoder writes literals that decode back to the same fields, every byte value kept', () => {
  const binary = String.fromCharCode(...Array.from({ length: 256 }, (_, index) => index));
  const fields = [
    { name: ':authority', value: '127.0.0.1:2379', neverIndexed: false },
    { name: 'authorization', value: 'token', neverIndexed: true },
    { name: 'x-bin', value: binary, neverIndexed: false },
  ];
  const decoder = new HpackDecoder();
  assert.deepEqual(decoder.decode(encodeHeaderBlock(fields)), fields);
  assert.equal(decoder.dynamicTableBytes, 0, 'nothing enters the peer table');
});
