// The record cache on its own: a record is admitted on its second miss, hits give back
// the bytes put in, the byte bound holds under a long fill, eviction drops cold entries
// before ones that were hit, a scan through more records than it holds admits nothing,
// clear empties it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTRY_OVERHEAD_BYTES, RECORD_CACHE_BYTES_MAX, RecordCache } from '../../src/mvcc/record-cache.js';

const SLAB_BYTES = 4096;
const BYTES_MAX = 4 * SLAB_BYTES;
const RECORD_BYTES = 100;

/** Offers a record twice, as two misses would: the second is admitted. */
function admit(cache: RecordCache, main: number, sub: number, value: Buffer, bytes = value.length): boolean {
  cache.insert(main, sub, value, bytes);
  return cache.insert(main, sub, value, bytes);
}

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
  assert.equal(cache.insert(5, 0, longer, source.length), false, 'a first miss is not admitted');
  assert.equal(cache.get(5, 0), undefined);
  assert.equal(cache.insert(5, 0, longer, source.length), true, 'a second one is');
  assert.ok(admit(cache, 5, 3, record(8)));
  longer.fill(0);
  assert.deepEqual(Buffer.from(cache.get(5, 0) ?? []), source);
  assert.deepEqual(Buffer.from(cache.get(5, 3) ?? []), record(8));
  assert.equal(cache.get(5, 1), undefined, 'another sub of the same main is another record');
  assert.equal(cache.get(6, 0), undefined);
  assert.equal(cache.hits, 2);
  assert.equal(cache.misses, 3);
});

test('the byte bound holds under a long fill, and the newest records stay', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  const inserts = 10_000;
  for (let main = 1; main <= inserts; main++) {
    assert.ok(admit(cache, main, main % 3, record(main)));
    assert.ok(cache.bytes <= BYTES_MAX, `${cache.bytes} bytes after ${main} inserts`);
  }
  assert.ok(cache.size > 0 && cache.size * (RECORD_BYTES + ENTRY_OVERHEAD_BYTES) <= BYTES_MAX);
  assert.deepEqual(Buffer.from(cache.get(inserts, inserts % 3) ?? []), record(inserts));
  assert.equal(cache.get(1, 1), undefined, 'the oldest were evicted');
});

test('tiny records are bounded by their per-entry cost, large ones are not cached', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  for (let main = 1; main <= 5_000; main++) admit(cache, main, 0, record(main, 2));
  assert.ok(cache.bytes <= BYTES_MAX);
  assert.ok(cache.size <= BYTES_MAX / ENTRY_OVERHEAD_BYTES);
  assert.equal(admit(cache, 9_999, 0, record(1, SLAB_BYTES)), false);
  assert.equal(cache.get(9_999, 0), undefined);
  assert.ok(RECORD_CACHE_BYTES_MAX >= 4 * 1024 * 1024, 'the default holds a 10,000-key working set');
});

test('eviction gives records that were hit a second chance over ones that were not', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  const hot = [1, 2, 3];
  for (let main = 1; main <= 30; main++) admit(cache, main, 0, record(main));
  for (const main of hot) assert.ok(cache.get(main, 0));
  // Enough cold records to push the first slab out more than once over.
  for (let main = 100; main < 160; main++) admit(cache, main, 0, record(main));
  for (const main of hot) assert.deepEqual(Buffer.from(cache.get(main, 0) ?? []), record(main), `hot record ${main}`);
  assert.equal(cache.get(4, 0), undefined, 'a record never hit was dropped with its slab');
  assert.ok(cache.bytes <= BYTES_MAX);
});

test('a record admitted again keeps its one copy', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  assert.ok(admit(cache, 9, 0, record(1)));
  assert.ok(cache.insert(9, 0, record(1), RECORD_BYTES));
  assert.equal(cache.size, 1);
});

test('records cycled through in more than the cache holds are never admitted', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  // Far more records than the doorkeeper's window, read over and over in the same order.
  const cycle = 4 * (BYTES_MAX / 256);
  for (let pass = 0; pass < 3; pass++) {
    for (let main = 1; main <= cycle; main++) {
      if (cache.get(main, 0) === undefined) cache.insert(main, 0, record(main), RECORD_BYTES);
    }
  }
  // Hash collisions in the doorkeeper may let a few in; a cache that admitted them all would be full.
  assert.ok(cache.size * 10 < cycle, `${cache.size} of ${cycle} records admitted`);
  // A record read again soon after is admitted at once.
  cache.insert(7_777_777, 0, record(1), RECORD_BYTES);
  assert.ok(cache.insert(7_777_777, 0, record(1), RECORD_BYTES));
});

test('clear empties the cache', () => {
  const cache = new RecordCache({ bytesMax: BYTES_MAX, slabBytes: SLAB_BYTES });
  for (let main = 1; main <= 20; main++) admit(cache, main, main % 2, record(main));
  cache.clear();
  assert.equal(cache.size, 0);
  assert.equal(cache.bytes, 0);
  for (let main = 1; main <= 20; main++) assert.equal(cache.get(main, main % 2), undefined);
  assert.equal(cache.insert(1, 1, record(2), RECORD_BYTES), false, 'the doorkeeper forgot its misses too');
  assert.ok(cache.insert(1, 1, record(2), RECORD_BYTES));
  assert.deepEqual(Buffer.from(cache.get(1, 1) ?? []), record(2), 'usable after a clear');
});
