// gRPC message compression on the client port: real grpc-js clients that gzip or
// deflate every request get the same answers as one that does not (a proxy in front
// proves they compressed), the size limit applies to the inflated message, and a
// compressed body the server cannot read ends only its own call with gRPC's status;
// a gzip bomb is inflated only as far as the limit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import {
  DeleteRangeRequest, KVService, PutRequest, RangeRequest, TxnRequest, WatchRequest, WatchResponse, WatchService,
  type DeepPartial, type PutResponse, type RangeResponse, type TxnResponse,
} from '../../src/generated/etcdserverpb/rpc.js';
import { grpcFailure, unary } from '../support/grpc-raw.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { encodePlainBlock, FRAME_BYTES_DEFAULT, grpcRequestFields, grpcResult, RawH2Connection } from '../http2/raw-h2-client.js';
import { enc, portOf, rssBytes, sniffingProxy, type SniffingProxy } from './support/h2server-fixture.js';

const TEST_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 5_000;
/** grpc-js's grpc.default_compression_algorithm values. */
const Algorithm = { identity: 0, deflate: 1, gzip: 2 } as const;
type AlgorithmName = keyof typeof Algorithm;
const ALGORITHMS: readonly AlgorithmName[] = ['identity', 'gzip', 'deflate'];
/** A value that compresses well, so a compressed body is clearly smaller than the message. */
const VALUE = Buffer.from('compressible '.repeat(800));
/** The small server's --max-request-bytes; its transport limit is (this + 512 KiB) * 2. */
const SMALL_REQUEST_BYTES = 1024;
const SMALL_TRANSPORT_LIMIT_BYTES = (SMALL_REQUEST_BYTES + 512 * 1024) * 2;
const BOMB_BYTES = 64 * 1024 * 1024;

let server: ServerProcess;
let proxy: SniffingProxy;
const clients = new Map<AlgorithmName, grpc.Client>();

function compressingClient(endpoint: string, algorithm: AlgorithmName): grpc.Client {
  return new grpc.Client(endpoint, grpc.credentials.createInsecure(), {
    'grpc.default_compression_algorithm': Algorithm[algorithm],
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
  });
}

before(async () => {
  server = await startServer({ name: 'h2compress' });
  proxy = await sniffingProxy(portOf(server));
  for (const name of ALGORITHMS) clients.set(name, compressingClient(`127.0.0.1:${proxy.port}`, name));
});
after(async () => {
  for (const client of clients.values()) client.close();
  await proxy?.close();
  await server?.stop();
});

const clientOf = (name: AlgorithmName): grpc.Client => clients.get(name) as grpc.Client;
const put = (client: grpc.Client, request: DeepPartial<PutRequest>): Promise<PutResponse> => unary(client, KVService.put, PutRequest.fromPartial(request), CALL_TIMEOUT_MS);
const range = (client: grpc.Client, request: DeepPartial<RangeRequest>): Promise<RangeResponse> => unary(client, KVService.range, RangeRequest.fromPartial(request), CALL_TIMEOUT_MS);
const txn = (client: grpc.Client, request: DeepPartial<TxnRequest>): Promise<TxnResponse> => unary(client, KVService.txn, TxnRequest.fromPartial(request), CALL_TIMEOUT_MS);
const withoutHeader = <T extends { header?: unknown }>(response: T): Omit<T, 'header'> => {
  const { header: _header, ...rest } = response;
  return rest;
};

/** Put, Range and a Txn on keys of the client's own, with the revision-bearing headers left out. */
async function kvStory(client: grpc.Client, name: string): Promise<unknown[]> {
  const key = enc(`c/${name}/k`);
  const answers: unknown[] = [];
  answers.push(withoutHeader(await put(client, { key, value: VALUE, prevKv: true })));
  const read = await range(client, { key });
  answers.push(read.kvs.map((kv) => ({ key: kv.key.toString().replace(name, '*'), value: kv.value, version: kv.version })));
  const swapped = await txn(client, {
    compare: [{ key, target: 3, result: 0, targetUnion: { $case: 'value', value: VALUE } }],
    success: [
      { request: { $case: 'requestPut', value: { key, value: enc('swapped'), prevKv: true } } },
      { request: { $case: 'requestRange', value: { key } } },
    ],
    failure: [],
  });
  answers.push({
    succeeded: swapped.succeeded,
    prev: swapped.responses[0]?.response?.$case === 'responsePut' ? swapped.responses[0].response.value.prevKv?.value : null,
    now: swapped.responses[1]?.response?.$case === 'responseRange' ? swapped.responses[1].response.value.kvs.map((kv) => kv.value.toString()) : null,
  });
  return answers;
}

test('gzip and deflate clients get the same Put, Range and Txn answers as an uncompressed one', { timeout: TEST_TIMEOUT_MS }, async () => {
  const before = { ...proxy.seen, encodings: new Set(proxy.seen.encodings) };
  const stories = new Map<AlgorithmName, unknown[]>();
  for (const name of ALGORITHMS) stories.set(name, await kvStory(clientOf(name), name));
  assert.deepEqual(stories.get('gzip'), stories.get('identity'));
  assert.deepEqual(stories.get('deflate'), stories.get('identity'));
  assert.equal((stories.get('identity')?.[2] as { succeeded: boolean }).succeeded, true);
  // The same read at the same revision is the same answer, header and all.
  const reads = await Promise.all(ALGORITHMS.map((name) => range(clientOf(name), { key: enc('c/'), rangeEnd: enc('c0') })));
  assert.equal(reads[0]?.kvs.length, 3);
  assert.deepEqual(reads[1], reads[0]);
  assert.deepEqual(reads[2], reads[0]);
  // The requests did go compressed: grpc-js's filter sends grpc-encoding and sets the flag.
  assert.ok(proxy.seen.encodings.has('gzip') && proxy.seen.encodings.has('deflate'), `encodings seen: ${[...proxy.seen.encodings].join(',')}`);
  assert.ok(proxy.seen.compressedMessages - before.compressedMessages >= 2 * 4, `compressed requests: ${proxy.seen.compressedMessages - before.compressedMessages}`);
  assert.ok(proxy.seen.plainMessages - before.plainMessages >= 4, 'the identity client sent plain messages');
});

/** Opens a watch on `prefix` from `startRevision` and collects events until `count` are in. */
function watchEvents(client: grpc.Client, prefix: string, startRevision: bigint, count: number): Promise<Array<{ type: number; key: string; value: string; modRevision: bigint }>> {
  const call = client.makeBidiStreamRequest(
    WatchService.watch.path,
    (request: WatchRequest) => Buffer.from(WatchRequest.encode(request).finish()),
    (bytes: Buffer) => WatchResponse.decode(bytes),
    new grpc.Metadata(),
    { deadline: Date.now() + CALL_TIMEOUT_MS },
  );
  const events: Array<{ type: number; key: string; value: string; modRevision: bigint }> = [];
  return new Promise((resolve, reject) => {
    call.on('data', (response: WatchResponse) => {
      for (const event of response.events) {
        events.push({ type: event.type, key: event.kv?.key.toString() ?? '', value: event.kv?.value.toString() ?? '', modRevision: event.kv?.modRevision ?? 0n });
      }
      if (events.length >= count) {
        call.cancel();
        resolve(events);
      }
    });
    call.on('error', (error: grpc.ServiceError) => {
      if (error.code !== grpc.status.CANCELLED || events.length < count) reject(error);
    });
    call.write(WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', value: { key: enc(prefix), rangeEnd: enc(`${prefix.slice(0, -1)}0`), startRevision } } }));
  });
}

test('a Watch over a gzip or deflate connection sees the same events as an uncompressed one', { timeout: TEST_TIMEOUT_MS }, async () => {
  const plain = clientOf('identity');
  const first = await put(plain, { key: enc('w/1'), value: VALUE });
  await put(plain, { key: enc('w/2'), value: enc('two') });
  await unary(plain, KVService.deleteRange, DeleteRangeRequest.fromPartial({ key: enc('w/1') }), CALL_TIMEOUT_MS);
  const start = first.header?.revision ?? 0n;
  const seen = await Promise.all(ALGORITHMS.map((name) => watchEvents(clientOf(name), 'w/', start, 3)));
  assert.deepEqual(seen[0]?.map((event) => [event.type, event.key]), [[0, 'w/1'], [0, 'w/2'], [1, 'w/1']]);
  assert.equal(seen[0]?.[0]?.value, VALUE.toString());
  assert.deepEqual(seen[1], seen[0]);
  assert.deepEqual(seen[2], seen[0]);
});

test('the size limit applies to the inflated message: too large is RESOURCE_EXHAUSTED, the etcd limit still applies, and the server goes on', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const small = await startServer({ name: 'h2compress-small', args: [`--max-request-bytes=${SMALL_REQUEST_BYTES}`] });
  const gzip = compressingClient(small.endpoint, 'gzip');
  const plain = compressingClient(small.endpoint, 'identity');
  t.after(async () => {
    gzip.close();
    plain.close();
    await small.stop();
  });
  // 2 MiB of zeros is a few KiB compressed, under every limit until it is inflated.
  const huge = await grpcFailure(put(gzip, { key: enc('huge'), value: Buffer.alloc(2 * 1024 * 1024) }));
  assert.equal(huge.code, grpc.status.RESOURCE_EXHAUSTED, huge.details);
  assert.match(huge.details, new RegExp(`^Received message larger than max \\(\\d+ vs ${SMALL_TRANSPORT_LIMIT_BYTES}\\)$`));
  // Above --max-request-bytes once inflated, but within gRPC's margin: etcd's own answer.
  const tooLarge = await grpcFailure(put(gzip, { key: enc('large'), value: Buffer.alloc(4 * SMALL_REQUEST_BYTES) }));
  assert.deepEqual(tooLarge, { code: grpc.status.INVALID_ARGUMENT, details: 'etcdserver: request is too large' });
  // A gzip bomb (64 MiB of zeros in ~64 KiB) is inflated only up to the limit, not to its full size.
  const anonBefore = rssBytes(small.pid, 'RssAnon');
  const bomb = gzipSync(PutRequest.encode(PutRequest.fromPartial({ key: enc('bomb'), value: Buffer.alloc(BOMB_BYTES) })).finish());
  const bombed = await rawCompressedPut(bomb, 'gzip', small);
  assert.equal(bombed.status, grpc.status.RESOURCE_EXHAUSTED, bombed.message);
  const anonGrowth = rssBytes(small.pid, 'RssAnon') - anonBefore;
  t.diagnostic(`a ${bomb.length} B gzip bomb of ${BOMB_BYTES} B: ${bombed.message}; anonymous RSS +${anonGrowth} B`);
  assert.ok(anonGrowth < BOMB_BYTES / 4, `anonymous RSS grew ${anonGrowth} B`);
  // Both connections go on.
  await put(gzip, { key: enc('fits'), value: enc('z') });
  assert.equal((await range(plain, { key: enc('fits') })).kvs[0]?.value.toString(), 'z');
});

/** A unary Put whose one message is sent with the compressed flag and these bytes, under this grpc-encoding (null: none). */
async function rawCompressedPut(body: Buffer, encoding: string | null, target: ServerProcess = server): Promise<{ status: number | null; message: string }> {
  const connection = await RawH2Connection.open(portOf(target));
  try {
    const id = connection.nextStreamId();
    const extra: Array<[string, string]> = encoding === null ? [] : [['grpc-encoding', encoding]];
    connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(KVService.put.path, target.endpoint, extra)));
    const prefix = Buffer.alloc(5);
    prefix[0] = 1;
    prefix.writeUInt32BE(body.length, 1);
    await connection.sendDataWithinWindows(id, Buffer.concat([prefix, body]), FRAME_BYTES_DEFAULT, CALL_TIMEOUT_MS);
    const result = grpcResult(await connection.waitStreamEnd(id, CALL_TIMEOUT_MS));
    return { status: result.status, message: result.message };
  } finally {
    await connection.close();
  }
}

test('a compressed body the server cannot read ends its call with INTERNAL or UNIMPLEMENTED, and the server goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
  const message = Buffer.from(PutRequest.encode(PutRequest.fromPartial({ key: enc('raw'), value: enc('v') })).finish());
  // The real thing first, so the failures below are about the bytes, not the framing.
  assert.deepEqual(await rawCompressedPut(gzipSync(message), 'gzip'), { status: grpc.status.OK, message: 'OK' });
  const corrupt = await rawCompressedPut(Buffer.from('definitely not a gzip stream'), 'gzip');
  assert.equal(corrupt.status, grpc.status.INTERNAL, corrupt.message);
  assert.match(corrupt.message, /^Received message that could not be decompressed/);
  const truncated = await rawCompressedPut(gzipSync(message).subarray(0, 12), 'gzip');
  assert.equal(truncated.status, grpc.status.INTERNAL, truncated.message);
  assert.deepEqual(await rawCompressedPut(gzipSync(message), null), {
    status: grpc.status.INTERNAL, message: 'Received compressed message but "grpc-encoding" header was identity',
  });
  assert.deepEqual(await rawCompressedPut(gzipSync(message), 'snappy'), {
    status: grpc.status.UNIMPLEMENTED, message: 'Received message compressed with unsupported encoding "snappy"',
  });
  const read = await range(clientOf('identity'), { key: enc('raw') });
  assert.equal(read.kvs[0]?.value.toString(), 'v');
});
