// Frames packed into one write come back out whole however the network cuts the
// bytes, and a length beyond the limit is refused before anything is buffered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, FrameError, packFrames } from '../../src/transport/frame-codec.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

test('frames split at every possible byte boundary are reassembled in order', () => {
  const payloads = ['a', '', 'hello world', 'x'.repeat(300)].map(bytes);
  const wire = packFrames(payloads);
  for (let cut = 0; cut <= wire.length; cut++) {
    const decoder = new FrameDecoder(1024);
    const frames = [...decoder.push(wire.subarray(0, cut)), ...decoder.push(wire.subarray(cut))];
    assert.deepEqual(frames.map(text), ['a', '', 'hello world', 'x'.repeat(300)], `cut at ${cut}`);
    assert.equal(decoder.pendingBytes, 0);
  }
});

test('a stream fed one byte at a time yields each frame as its last byte arrives', () => {
  const wire = packFrames([bytes('first'), bytes('second')]);
  const decoder = new FrameDecoder(64);
  const seen: string[] = [];
  for (const byte of wire) seen.push(...decoder.push(Buffer.from([byte])).map(text));
  assert.deepEqual(seen, ['first', 'second']);
});

test('a frame longer than the limit is refused from its header alone', () => {
  const decoder = new FrameDecoder(16);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(17);
  assert.throws(() => decoder.push(header), FrameError);
  const ok = new FrameDecoder(16);
  assert.deepEqual(ok.push(packFrames([new Uint8Array(16)])).map((f) => f.length), [16]);
});
