// A request header list over the server's limit, as etcd 3.4 answers it: gRPC-Go's default
// 16 MiB (names and values plus 32 per field, RFC 7541's count) is not advertised in SETTINGS;
// a list of up to exactly 16 MiB is served, one byte more resets that stream alone with
// RST_STREAM FRAME_SIZE_ERROR (no GOAWAY, no gRPC status), and the connection's other streams,
// open or new, go on. Measured on /usr/bin/etcd: run with ETCD_TS_TARGET=etcd to check it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { HeaderField } from '../../src/api/http2/hpack-decoder.js';
import { PutRequest, RangeRequest, WatchRequest, WatchResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import {
  encodePlainBlock, field, FRAME_BYTES_DEFAULT, grpcFrame, grpcMessages, grpcRequestFields, grpcResult, H2Error, H2Setting, RawH2Connection, unaryCall,
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
