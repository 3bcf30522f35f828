// The Watch encoder that reuses each event's bytes across watchers must write exactly what the
// generated encoder writes, for every shape of response a stream sends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WatchResponse, type ResponseHeader } from '../../src/generated/etcdserverpb/rpc.js';
import { Event_EventType, type Event } from '../../src/generated/mvccpb/kv.js';
import { serializeWatchResponse } from '../../src/watch/watch-response-encoding.js';

const header: ResponseHeader = { clusterId: 0x1234_5678_9abcn, memberId: 42n, revision: 1_000_001n, raftTerm: 7n };

function event(key: string, valueBytes: number, revision: bigint, withPrev: boolean): Event {
  const kv = { key: Buffer.from(key), createRevision: 2n, modRevision: revision, version: 3n, value: Buffer.alloc(valueBytes, 0x61), lease: 0n };
  return { type: Event_EventType.PUT, kv, prevKv: withPrev ? { ...kv, modRevision: revision - 1n, value: Buffer.from('old') } : undefined };
}

const base: WatchResponse = { header, watchId: 0n, created: false, canceled: false, compactRevision: 0n, cancelReason: '', fragment: false, events: [] };

test('responses with events, large values, prev_kv and flags encode byte for byte as generated', () => {
  const shared = [event('k1', 256, 10n, false), event('k2', 300_000, 11n, true)];
  const cases: WatchResponse[] = [
    { ...base, watchId: 3n, events: shared },
    // The same event objects for another watcher: cached bytes, different watch id.
    { ...base, watchId: 70_000n, events: shared.slice(1) },
    { ...base, watchId: 0n, events: shared },
    { ...base, watchId: 127n, events: shared },
    { ...base, watchId: 128n, events: shared },
    { ...base, watchId: BigInt(Number.MAX_SAFE_INTEGER), events: shared },
    { ...base, watchId: 2n ** 62n, events: shared },
    { ...base, watchId: -1n, events: shared },
    { ...base, header: undefined, watchId: 1n, events: shared.slice(0, 1) },
    { ...base, watchId: 5n, fragment: true, events: shared },
    { ...base, watchId: 9n, created: true },
    { ...base, watchId: -1n, created: true, canceled: true, cancelReason: 'mvcc: watcher range is empty' },
    { ...base, watchId: 2n, canceled: true, compactRevision: 99n },
  ];
  for (const response of cases) {
    const expected = Buffer.from(WatchResponse.encode(response).finish());
    assert.deepEqual(serializeWatchResponse(response), expected, `watch id ${response.watchId}`);
    assert.deepEqual(serializeWatchResponse(response), expected, 'again, from the cache');
  }
});

test('an event is encoded once however many responses carry it', () => {
  const shared = event('fan/out', 256, 12n, false);
  const encodeSpy = { calls: 0 };
  const watched = new Proxy(shared, {
    get(target, property, receiver) {
      if (property === 'kv') encodeSpy.calls++;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  serializeWatchResponse({ ...base, watchId: 1n, events: [watched] });
  const readsForOneEncode = encodeSpy.calls;
  assert.ok(readsForOneEncode > 0);
  for (let watchId = 2n; watchId < 50n; watchId++) serializeWatchResponse({ ...base, watchId, events: [watched] });
  assert.equal(encodeSpy.calls, readsForOneEncode, 'later responses reuse the bytes');
});
