// The frame-level rewriter of connections whose :authority is a URL: every header block
// comes out with :authority as host:port (also when later blocks name it through the
// dynamic table), without padding, split under the frame size; other frames pass
// untouched; the output is the same however the input is cut into chunks; bad frames throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorityRewriter, authorityOfUrl } from '../../src/api/http2/authority-rewriter.js';
import { FrameReader, FrameType, frameHeader, type Frame } from '../../src/api/http2/frame-reader.js';
import { HpackDecoder } from '../../src/api/http2/hpack-decoder.js';
import { encodeInteger } from '../../src/api/http2/hpack-encoder.js';
import { Http2InputError } from '../../src/api/http2/http2-input-error.js';

const PADDED = 0x8;
const PRIORITY = 0x20;
const END_HEADERS = 0x4;
const END_STREAM = 0x1;
const URL_AUTHORITY = 'http://127.0.0.1:2379';
const isInputError = (error: unknown): boolean => error instanceof Http2InputError;

const literal = (text: string): Buffer => Buffer.concat([encodeInteger(text.length, 7, 0), Buffer.from(text, 'latin1')]);
/** :authority (static index 1) as a literal with incremental indexing (enters the dynamic table). */
const indexedAuthority = (value: string): Buffer => Buffer.concat([Buffer.of(0x41), literal(value)]);
const grpcRequest = (path: string, authority: Buffer): Buffer =>
  Buffer.concat([Buffer.of(0x83, 0x86), Buffer.of(0x04), literal(path), authority, Buffer.of(0x40), literal('te'), literal('trailers')]);
const frame = (type: number, flags: number, streamId: number, payload: Buffer): Buffer =>
  Buffer.concat([frameHeader(payload.length, type, flags, streamId), payload]);

function clientBytes(): { bytes: Buffer; untouched: Buffer[] } {
  const settings = frame(FrameType.settings, 0, 0, Buffer.from('000200000000', 'hex'));
  const windowUpdate = frame(0x8, 0, 0, Buffer.from('0000ffff', 'hex'));
  const first = grpcRequest('/etcdserverpb.Maintenance/Status', indexedAuthority(URL_AUTHORITY));
  // First block: padded, with priority, split over HEADERS + CONTINUATION.
  const headers = frame(FrameType.headers, PADDED | PRIORITY, 1, Buffer.concat([Buffer.of(3), Buffer.from('0000000010', 'hex'), first.subarray(0, 10), Buffer.alloc(3)]));
  const continuation = frame(FrameType.continuation, END_HEADERS, 1, first.subarray(10));
  const data = frame(FrameType.data, END_STREAM, 1, Buffer.from('0000000000', 'hex'));
  // Second block names :authority through the dynamic table (63: te, indexed after it, is 62).
  const second = frame(FrameType.headers, END_HEADERS | END_STREAM, 3, grpcRequest('/etcdserverpb.KV/Range', Buffer.of(0xbf)));
  const ping = frame(0x6, 0, 0, Buffer.alloc(8, 7));
  return { bytes: Buffer.concat([settings, windowUpdate, headers, continuation, data, second, ping]), untouched: [settings, windowUpdate, data, ping] };
}

function rewriteInChunks(bytes: Buffer, cuts: readonly number[]): Buffer {
  const rewriter = new AuthorityRewriter();
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...rewriter.push(bytes.subarray(from, cut)));
    from = cut;
  }
  return Buffer.concat(out);
}

test('authorityOfUrl cuts scheme and path; plain host:port is left alone', () => {
  assert.equal(authorityOfUrl('http://127.0.0.1:2379'), '127.0.0.1:2379');
  assert.equal(authorityOfUrl('https://[::1]:2379/'), '[::1]:2379');
  assert.equal(authorityOfUrl('127.0.0.1:2379'), null);
});

test('header blocks come out with host:port, unpadded; other frames byte for byte', () => {
  const { bytes, untouched } = clientBytes();
  const frames: Frame[] = new FrameReader().push(rewriteInChunks(bytes, []));
  assert.deepEqual(frames.map((entry) => entry.type), [FrameType.settings, 0x8, FrameType.headers, FrameType.data, FrameType.headers, 0x6]);
  const passed = frames.filter((entry) => entry.type !== FrameType.headers).map((entry) => entry.raw);
  assert.deepEqual(passed, untouched);
  const decoder = new HpackDecoder();
  const blocks = frames.filter((entry) => entry.type === FrameType.headers);
  const [first, second] = blocks;
  assert.ok(first !== undefined && second !== undefined);
  assert.equal(first.flags, PRIORITY | END_HEADERS, 'PADDED dropped, priority kept');
  assert.deepEqual(first.payload.subarray(0, 5), Buffer.from('0000000010', 'hex'));
  const firstFields = decoder.decode(first.payload.subarray(5));
  assert.equal(firstFields.find((field) => field.name === ':authority')?.value, '127.0.0.1:2379');
  assert.equal(firstFields.find((field) => field.name === ':path')?.value, '/etcdserverpb.Maintenance/Status');
  assert.equal(second.flags, END_HEADERS | END_STREAM);
  assert.equal(decoder.decode(second.payload).find((field) => field.name === ':authority')?.value, '127.0.0.1:2379');
});

test('the output is the same when the input is cut at any byte, or fed one byte at a time', () => {
  const { bytes } = clientBytes();
  const whole = rewriteInChunks(bytes, []);
  for (let cut = 1; cut < bytes.length; cut += 1) assert.deepEqual(rewriteInChunks(bytes, [cut]), whole, `cut at ${cut}`);
  assert.deepEqual(rewriteInChunks(bytes, Array.from({ length: bytes.length - 1 }, (_, index) => index + 1)), whole);
});

test('a block larger than the frame size is split into HEADERS and CONTINUATION frames', () => {
  const big = Buffer.concat([grpcRequest('/etcdserverpb.KV/Put', indexedAuthority(URL_AUTHORITY)), Buffer.of(0x00), literal('x-big'), literal('v'.repeat(20_000))]);
  const input = Buffer.concat([
    frame(FrameType.headers, 0, 1, big.subarray(0, 16_000)),
    frame(FrameType.continuation, END_HEADERS, 1, big.subarray(16_000)),
  ]);
  const frames = new FrameReader().push(rewriteInChunks(input, []));
  assert.deepEqual(frames.map((entry) => entry.type), [FrameType.headers, FrameType.continuation]);
  assert.ok(frames.every((entry) => entry.payload.length <= 16_384));
  assert.deepEqual(frames.map((entry) => entry.flags & END_HEADERS), [0, END_HEADERS]);
  const fields = new HpackDecoder().decode(Buffer.concat(frames.map((entry) => entry.payload)));
  assert.equal(fields.find((field) => field.name === ':authority')?.value, '127.0.0.1:2379');
  assert.equal(fields.find((field) => field.name === 'x-big')?.value.length, 20_000);
});

test('malformed input throws an input error: stray CONTINUATION, a frame inside a block, oversize, bad HPACK', () => {
  const block = grpcRequest('/a', indexedAuthority(URL_AUTHORITY));
  const cases = [
    frame(FrameType.continuation, END_HEADERS, 1, block),
    Buffer.concat([frame(FrameType.headers, 0, 1, block), frame(FrameType.data, 0, 1, Buffer.alloc(1))]),
    Buffer.concat([frame(FrameType.headers, 0, 1, block), frame(FrameType.continuation, END_HEADERS, 3, Buffer.alloc(0))]),
    frameHeader(16_385, FrameType.data, 0, 1),
    frame(FrameType.headers, END_HEADERS, 1, Buffer.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x0f)),
    frame(FrameType.headers, END_HEADERS | PADDED, 1, Buffer.of(9, 0x82)),
    frame(FrameType.headers, END_HEADERS, 0, block),
    frame(FrameType.pushPromise, END_HEADERS, 1, Buffer.alloc(4)),
  ];
  for (const [index, input] of cases.entries()) assert.throws(() => new AuthorityRewriter().push(input), isInputError, `case ${index}`);
});
