// Maintenance.Snapshot's hand-written response serializer gives exactly the bytes
// of the generated encoder, for blobs whose lengths take one to three varint bytes,
// an empty blob (the digest-less end is never sent, but the field is optional) and
// responses with and without a header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializeSnapshotResponse } from '../../src/api/grpc/snapshot-response-encoding.js';
import { SnapshotResponse } from '../../src/generated/etcdserverpb/rpc.js';

const HEADER = { clusterId: 0xcdef_0123_4567_89abn, memberId: 7n, revision: 1_000_001n, raftTerm: 3n };

test('a snapshot response is encoded as the generated code encodes it', () => {
  const blobs = [0, 1, 127, 128, 16_383, 16_384, 1024 * 1024].map((bytes) => Buffer.alloc(bytes, bytes % 251));
  for (const header of [HEADER, undefined]) {
    for (const remainingBytes of [0n, 1n, 317_689_856n]) {
      for (const blob of blobs) {
        const response: SnapshotResponse = { header, remainingBytes, blob };
        const expected = Buffer.from(SnapshotResponse.encode(response).finish());
        assert.deepEqual(serializeSnapshotResponse(response), expected, `${blob.length}-byte blob, ${remainingBytes} remaining`);
      }
    }
  }
});

test('a remaining_bytes over 64 bits is refused, as by the generated encoder', () => {
  assert.throws(() => serializeSnapshotResponse({ header: HEADER, remainingBytes: 2n ** 64n, blob: Buffer.from('x') }), /too large/);
});
