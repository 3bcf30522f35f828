// The bench's latency histogram: exact for small values, within its stated relative error
// for large ones, and merging two histograms equals recording into one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketIndexOf, bucketUpperUs, Histogram } from '../../bench/histogram.js';

test('values below 128 µs are kept exactly', () => {
  const h = new Histogram();
  for (let v = 1; v <= 100; v += 1) h.record(v);
  assert.equal(h.quantileUs(0.5), 50);
  assert.equal(h.quantileUs(0.99), 99);
  assert.equal(h.quantileUs(1), 100);
  assert.equal(h.percentiles().meanMs, 0.0505);
});

test('every value maps to a bucket whose upper bound is within 1/64 above it', () => {
  const samples = [128, 129, 255, 256, 1000, 12_345, 999_999, 2 ** 30 + 7, 2 ** 31 - 1];
  for (const v of samples) {
    const upper = bucketUpperUs(bucketIndexOf(v));
    assert.ok(upper >= v, `upper ${upper} < value ${v}`);
    assert.ok((upper - v) / v <= 1 / 64, `upper ${upper} too far above ${v}`);
  }
  for (let i = 1; i < 1600; i += 1) {
    assert.ok(bucketUpperUs(i) > bucketUpperUs(i - 1), `bucket ${i} not above bucket ${i - 1}`);
  }
});

test('percentiles of a wide distribution are ordered and near the true quantiles', () => {
  const h = new Histogram();
  for (let v = 1; v <= 100_000; v += 1) h.record(v);
  const p = h.percentiles();
  assert.ok(p.p50Ms <= p.p90Ms && p.p90Ms <= p.p99Ms && p.p99Ms <= p.p999Ms && p.p999Ms <= p.maxMs);
  assert.ok(Math.abs(p.p50Ms - 50) / 50 <= 1 / 64, `p50 ${p.p50Ms}`);
  assert.ok(Math.abs(p.p99Ms - 99) / 99 <= 1 / 64, `p99 ${p.p99Ms}`);
  assert.equal(p.maxMs, 100);
});

test('merging two halves gives the same answers as recording everything in one', () => {
  const whole = new Histogram();
  const a = new Histogram();
  const b = new Histogram();
  for (let v = 0; v < 5000; v += 1) {
    const value = (v * 7919) % 70_000;
    whole.record(value);
    (v % 2 === 0 ? a : b).record(value);
  }
  const merged = Histogram.fromData(a.toData());
  merged.merge(JSON.parse(JSON.stringify(b.toData())));
  assert.equal(merged.count(), whole.count());
  assert.deepEqual(merged.percentiles(), whole.percentiles());
});

test('an empty histogram reports zeros, not NaN', () => {
  assert.deepEqual(new Histogram().percentiles(), { p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, meanMs: 0 });
});
