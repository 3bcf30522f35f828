// The Go-compatible readers under the flags: durations, integers and URLs accept and refuse
// what Go's time, strconv and net/url (plus etcd's URL rules) accept and refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration, parseGoInteger } from '../../src/config/go-values.js';
import { parseEtcdUrl, parseEtcdUrlList } from '../../src/config/etcd-urls.js';

test('durations: Go units, fractions, sums and signs, in nanoseconds', () => {
  const cases: readonly (readonly [string, bigint])[] = [
    ['0', 0n], ['1h', 3_600_000_000_000n], ['1.5s', 1_500_000_000n], ['1h30m', 5_400_000_000_000n],
    ['250ms', 250_000_000n], ['10us', 10_000n], ['10\u00b5s', 10_000n], ['-2m', -120_000_000_000n], ['.5s', 500_000_000n],
  ];
  for (const [text, nanoseconds] of cases) assert.deepEqual(parseGoDuration(text), { ok: true, value: nanoseconds }, text);
});

test('bad durations carry time.ParseDuration\'s message', () => {
  assert.deepEqual(parseGoDuration('5'), { ok: false, error: 'time: missing unit in duration "5"' });
  assert.deepEqual(parseGoDuration('1x'), { ok: false, error: 'time: unknown unit "x" in duration "1x"' });
  assert.deepEqual(parseGoDuration(''), { ok: false, error: 'time: invalid duration ""' });
  assert.deepEqual(parseGoDuration('abc'), { ok: false, error: 'time: invalid duration "abc"' });
  assert.deepEqual(parseGoDuration('3000000h'), { ok: false, error: 'time: invalid duration "3000000h"' });
});

test('integers: base prefixes and separators as strconv with base 0', () => {
  assert.deepEqual(parseGoInteger('0x1f', 'uint'), { ok: true, value: 31n });
  assert.deepEqual(parseGoInteger('0o17', 'uint'), { ok: true, value: 15n });
  assert.deepEqual(parseGoInteger('0b101', 'uint'), { ok: true, value: 5n });
  assert.deepEqual(parseGoInteger('-0x10', 'int64'), { ok: true, value: -16n });
  assert.deepEqual(parseGoInteger('08', 'uint'), { ok: false, error: 'parse error' });
  assert.deepEqual(parseGoInteger('1__0', 'uint'), { ok: false, error: 'parse error' });
  assert.deepEqual(parseGoInteger('+1', 'uint'), { ok: false, error: 'parse error' });
  assert.deepEqual(parseGoInteger('18446744073709551615', 'uint64'), { ok: true, value: 18446744073709551615n });
  assert.deepEqual(parseGoInteger('18446744073709551616', 'uint64'), { ok: false, error: 'value out of range' });
  assert.deepEqual(parseGoInteger('9223372036854775808', 'int64'), { ok: false, error: 'value out of range' });
});

test('URLs: etcd keeps scheme and host:port, prints them as Go does and sorts a list', () => {
  const url = parseEtcdUrl(' HTTP://10.0.0.1:2379 ');
  assert.ok(!('error' in url));
  assert.equal(url.text, 'http://10.0.0.1:2379');
  assert.equal(url.hostname, '10.0.0.1');
  assert.equal(url.port, '2379');
  const list = parseEtcdUrlList('http://b:1,http://a:1');
  assert.ok(!('error' in list));
  assert.deepEqual(list.map((u) => u.text), ['http://a:1', 'http://b:1']);
});

test('URLs: url.Parse failures come out as Go words them', () => {
  assert.deepEqual(parseEtcdUrl('http://a:xx'), { error: 'parse "http://a:xx": invalid port ":xx" after host' });
  assert.deepEqual(parseEtcdUrl(':2379'), { error: 'parse ":2379": missing protocol scheme' });
  assert.deepEqual(parseEtcdUrl('localhost:2379'), { error: 'URL scheme must be http, https, unix, or unixs: localhost:2379' });
  assert.deepEqual(parseEtcdUrl('http://[::1:2379'), { error: 'parse "http://[::1:2379": missing \']\' in host' });
});
