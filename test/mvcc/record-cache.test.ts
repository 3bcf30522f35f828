// The record cache on its own: hits give back the bytes put in, the byte bound holds
// under a long fill, eviction drops cold entries before ones that were hit, clear empties it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTRY_OVERHEAD_BYTES, RECORD_CACHE_BYTES_MAX, RecordCache } from '../../src/mvcc/record-cache.js';

const SLAB_BYTES = 4096;
const BYTES_MAX = 4 * SLAB_BYTES;
const RECORD_BYTES = 100;

function record(seed: number, bytes = RECORD_BYTES): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (seed * 31 + i) & 0xff;
  return out;
}

test('a hit returns the bytes that were inserted, as a copy the cache owns', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  const source = record(7);
  // The backend may hand over a longer buffer than the record: only valueBytes count.
  const longer = Buffer.concat([source, Buffer.from('trailing garbage')]);
  cache.insert(5, 0, longer, source.length);
  cache.insert(5, 3, record(8), RECORD_BYTES);
  longer.fill(0);
  assert.deepEqual(Buffer.from(cache.get(5, 0) ?? []), source);
  assert.deepEqual(Buffer.from(cache.get(5, 3) ?? []), record(8));
  assert.equal(cache.get(5, 1), undefined, 'another sub of the same main is another record');
  assert.equal(cache.get(6, 0), undefined);
  assert.equal(cache.hits, 2);
  assert.equal(cache.misses, 2);
});

test('the byte bound holds under a long fill, and the newest records stay', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  const inserts = 10_000;
  for (let main = 1; main <= inserts; main++) {
    cache.insert(main, main % 3, record(main), RECORD_BYTES);
    assert.ok(cache.bytes <= BYTES_MAX, `${cache.bytes} bytes after ${main} inserts`);
  }
  assert.ok(cache.size > 0 && cache.size * (RECORD_BYTES + ENTRY_OVERHEAD_BYTES) <= BYTES_MAX);
  assert.deepEqual(Buffer.from(cache.get(inserts, inserts % 3) ?? []), record(inserts));
  assert.equal(cache.get(1, 1), undefined, 'the oldest were evicted');
});

test('tiny records are bounded by their per-entry cost, large ones are not cached', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  for (let main = 1; main <= 5_000; main++) cache.insert(main, 0, record(main, 2), 2);
  assert.ok(cache.bytes <= BYTES_MAX);
  assert.ok(cache.size <= BYTES_MAX / ENTRY_OVERHEAD_BYTES);
  assert.equal(cache.insert(9_999, 0, record(1, SLAB_BYTES), SLAB_BYTES), undefined);
  assert.equal(cache.get(9_999, 0), undefined);
  assert.ok(RECORD_CACHE_BYTES_MAX >= 4 * 1024 * 1024, 'the default holds a 10,000-key working set');
});

test('eviction gives records that were hit a second chance over ones that were not', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  const hot = [1, 2, 3];
  for (let main = 1; main <= 30; main++) cache.insert(main, 0, record(main), RECORD_BYTES);
  for (const main of hot) assert.ok(cache.get(main, 0));
  // Enough cold records to push the first slab out more than once over.
  for (let main = 100; main < 160; main++) cache.insert(main, 0, record(main), RECORD_BYTES);
  for (const main of hot) assert.deepEqual(Buffer.from(cache.get(main, 0) ?? []), record(main), `hot record ${main}`);
  assert.equal(cache.get(4, 0), undefined, 'a record never hit was dropped with its slab');
  assert.ok(cache.bytes <= BYTES_MAX);
});

test('a record inserted twice keeps its first copy', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  const first = cache.insert(9, 0, record(1), RECORD_BYTES);
  assert.equal(cache.insert(9, 0, record(1), RECORD_BYTES), first);
  assert.equal(cache.size, 1);
});

test('clear empties the cache', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  for (let main = 1; main <= 20; main++) cache.insert(main, main % 2, record(main), RECORD_BYTES);
  cache.clear();
  assert.equal(cache.size, 0);
  assert.equal(cache.bytes, 0);
  for (let main = 1; main <= 20; main++) assert.equal(cache.get(main, main % 2), undefined);
  cache.insert(1, 1, record(2), RECORD_BYTES);
  assert.deepEqual(Buffer.from(cache.get(1, 1) ?? []), record(2), 'usable after a clear');
});
