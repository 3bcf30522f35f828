// A request header list over the server's limit, as etcd 3.4 answers it: gRPC-Go's default
// 16 MiB (names and values plus 32 per field, RFC 7541's count) is not advertised in SETTINGS;
// a list of up to exactly 16 MiB is served, one byte more resets that stream alone with
// RST_STREAM FRAME_SIZE_ERROR (no GOAWAY, no gRPC status), and the connection's other streams,
// open or new, go on: the refused block is still decoded, so HPACK entries it indexed serve
// the next block. A single name or value over 16 MiB ends the connection (etcd closes it
// without a GOAWAY; etcd-ts sends GOAWAY COMPRESSION_ERROR first, as for any HPACK error).
// Measured on /usr/bin/etcd: run with ETCD_TS_TARGET=etcd to check it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { HeaderField } from '../../src/api/http2/hpack-decoder.js';
import { PutRequest, RangeRequest, WatchRequest, WatchResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import {
  encodePlainBlock, field, FRAME_BYTES_DEFAULT, grpcFrame, grpcMessages, grpcRequestFields, grpcResult, H2Error, H2Setting, IndexingEncoder, RawH2Connection, unaryCall,
} from '../http2/raw-h2-client.js';
import { enc, portOf } from './support/h2server-fixture.js';

const TEST_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 10_000;
/** gRPC-Go's server default for the header list, kept by etcd. */
const HEADER_LIST_BYTES_MAX = 16 * 1024 * 1024;
/** RFC 7541 4.1: each field counts its name and value octets plus 32. */
const FIELD_OVERHEAD_BYTES = 32;
const PAD_VALUE_BYTES = 8_000;

let server: ServerProcess;

before(async () => {
  server = await startServer({ name: 'h2header-list' });
});
after(async () => {
  await server?.stop();
});

const listBytes = (fields: readonly HeaderField[]): number => fields.reduce((sum, one) => sum + one.name.length + one.value.length + FIELD_OVERHEAD_BYTES, 0);
const rangeMessage = RangeRequest.encode(RangeRequest.fromPartial({ key: enc('hl/k') })).finish();

/** A Range's request fields padded with x-pad-N headers to a header list of exactly `bytes`. */
function fieldsOfListBytes(path: string, authority: string, bytes: number): HeaderField[] {
  const fields = grpcRequestFields(path, authority);
  // Each pass adds one field and gets closer; the last one takes exactly what is left.
  for (let index = 0; listBytes(fields) < bytes; index += 1) {
    const name = `x-pad-${index}`;
    const left = bytes - listBytes(fields) - name.length - FIELD_OVERHEAD_BYTES;
    fields.push(field(name, 'v'.repeat(Math.max(0, Math.min(PAD_VALUE_BYTES, left)))));
  }
  assert.equal(listBytes(fields), bytes);
  return fields;
}

/** Sends a Range whose header list is `bytes` (HEADERS + CONTINUATIONs), then its body; returns the stream id. */
function sendRangeOfListBytes(connection: RawH2Connection, bytes: number): number {
  const id = connection.nextStreamId();
  connection.sendHeaders(id, encodePlainBlock(fieldsOfListBytes('/etcdserverpb.KV/Range', server.endpoint, bytes)), { splitBytes: FRAME_BYTES_DEFAULT });
  connection.sendData(id, grpcFrame(rangeMessage), { endStream: true });
  return id;
}

test('SETTINGS carry no MAX_HEADER_LIST_SIZE; a list of 1 MiB, and of exactly 16 MiB, is served', { timeout: TEST_TIMEOUT_MS }, async () => {
  const connection = await RawH2Connection.open(portOf(server));
  try {
    await connection.waitUntil('the server SETTINGS', () => connection.serverSettingsFrames >= 1, CALL_TIMEOUT_MS);
    assert.equal(connection.serverSettings.get(H2Setting.maxHeaderListSize), undefined);
    for (const bytes of [1024 * 1024, HEADER_LIST_BYTES_MAX]) {
      const result = grpcResult(await connection.waitStreamEnd(sendRangeOfListBytes(connection, bytes), CALL_TIMEOUT_MS));
      assert.equal(result.status, grpc.status.OK, `${bytes} B: ${result.message}`);
      assert.equal(result.messages.length, 1);
    }
    assert.equal(connection.goaway, null);
  } finally {
    await connection.close();
  }
});

test('a list of 16 MiB + 1 or 64 MiB resets its stream with FRAME_SIZE_ERROR; an open Watch and new calls on the connection go on', { timeout: TEST_TIMEOUT_MS }, async () => {
  const connection = await RawH2Connection.open(portOf(server));
  try {
    const watchId = connection.nextStreamId();
    connection.sendHeaders(watchId, encodePlainBlock(grpcRequestFields('/etcdserverpb.Watch/Watch', server.endpoint)));
    connection.sendData(watchId, grpcFrame(WatchRequest.encode(WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', value: { key: enc('hl/w') } } })).finish()));
    const watch = connection.stream(watchId);
    await connection.waitUntil('the watch created', () => watch.data.length >= 1, CALL_TIMEOUT_MS);

    for (const bytes of [HEADER_LIST_BYTES_MAX + 1, 4 * HEADER_LIST_BYTES_MAX]) {
      const id = sendRangeOfListBytes(connection, bytes);
      const record = connection.stream(id);
      await connection.waitUntil(`an answer to the ${bytes} B list`, () => record.rstCode !== null || record.endStream || connection.closed, CALL_TIMEOUT_MS);
      assert.equal(record.rstCode, H2Error.frameSize, `${bytes} B: RST_STREAM code`);
      assert.deepEqual(record.headerBlocks, [], `${bytes} B: no gRPC status`);
      assert.equal(connection.goaway, null, `${bytes} B: no GOAWAY`);
    }

    const put = await unaryCall(connection, '/etcdserverpb.KV/Put', PutRequest.encode(PutRequest.fromPartial({ key: enc('hl/w'), value: enc('after') })).finish(), CALL_TIMEOUT_MS);
    assert.equal(put.status, grpc.status.OK, put.message);
    await connection.waitUntil('the watch event', () => grpcMessages(Buffer.concat(watch.data)).length >= 2, CALL_TIMEOUT_MS);
    const event = WatchResponse.decode(grpcMessages(Buffer.concat(watch.data))[1] ?? Buffer.alloc(0));
    assert.equal(event.events[0]?.kv?.value.toString(), 'after');
    assert.equal(watch.rstCode, null);
  } finally {
    await connection.close();
  }
});

test('the HPACK entries a refused block indexed serve the next block on the connection', { timeout: TEST_TIMEOUT_MS }, async () => {
  const connection = await RawH2Connection.open(portOf(server));
  try {
    const encoder = new IndexingEncoder();
    const base = grpcRequestFields('/etcdserverpb.KV/Range', server.endpoint);
    // Indexed fields first and last, plain padding between them taking the list over the limit.
    const padding = fieldsOfListBytes('/etcdserverpb.KV/Range', server.endpoint, HEADER_LIST_BYTES_MAX + 1).slice(base.length);
    const refused = Buffer.concat([encoder.encode(base), encodePlainBlock(padding), encoder.encode([field('x-after', 'indexed')])]);
    const first = connection.nextStreamId();
    connection.sendHeaders(first, refused, { splitBytes: FRAME_BYTES_DEFAULT });
    connection.sendData(first, grpcFrame(rangeMessage), { endStream: true });
    const record = connection.stream(first);
    await connection.waitUntil('the refused block answered', () => record.rstCode !== null || record.endStream || connection.closed, CALL_TIMEOUT_MS);
    assert.equal(record.rstCode, H2Error.frameSize);
    // The next block is nothing but references to those entries.
    const next = encoder.encode([...base, field('x-after', 'indexed')]);
    assert.equal(next.length, base.length + 1, 'one byte per field: every one indexed');
    const second = connection.nextStreamId();
    connection.sendHeaders(second, next);
    connection.sendData(second, grpcFrame(rangeMessage), { endStream: true });
    const result = grpcResult(await connection.waitStreamEnd(second, CALL_TIMEOUT_MS));
    assert.equal(result.status, grpc.status.OK, result.message);
    assert.equal(connection.goaway, null);
  } finally {
    await connection.close();
  }
});

test('a single value over 16 MiB ends the connection; the server goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
  const connection = await RawH2Connection.open(portOf(server));
  try {
    const id = connection.nextStreamId();
    const fields = [...grpcRequestFields('/etcdserverpb.KV/Range', server.endpoint), field('x-big', 'b'.repeat(HEADER_LIST_BYTES_MAX + 1))];
    connection.sendHeaders(id, encodePlainBlock(fields), { splitBytes: FRAME_BYTES_DEFAULT });
    connection.sendData(id, grpcFrame(rangeMessage), { endStream: true });
    const goaway = await connection.waitGoawayOrClose(CALL_TIMEOUT_MS);
    assert.ok(goaway !== null || connection.closed, 'a GOAWAY or a closed socket');
    if (goaway !== null) assert.equal(goaway.errorCode, H2Error.compression);
    assert.deepEqual(connection.stream(id).headerBlocks, [], 'no answer on the stream');
  } finally {
    await connection.close();
  }
  const fresh = await RawH2Connection.open(portOf(server));
  try {
    assert.equal((await unaryCall(fresh, '/etcdserverpb.KV/Range', rangeMessage, CALL_TIMEOUT_MS)).status, grpc.status.OK);
  } finally {
    await fresh.close();
  }
});
