// etcdctl 3.4 given http:// or https:// endpoints sends the URL itself as :authority
// (it dials "passthrough:///http://host:port"); Node's HTTP/2 layer would reset those
// streams. One etcd-ts member serving an http and an https client URL answers every
// command that way, as etcd does; a connection that sends such an :authority and then a
// malformed frame is closed and the server keeps serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameType, frameHeader } from '../../src/api/http2/frame-reader.js';
import { encodeHeaderBlock } from '../../src/api/http2/hpack-encoder.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { freePorts } from '../support/free-port.js';
import { TlsProcess } from '../tls/support/tls-process.js';

const TEST_TIMEOUT_MS = 120_000;
const WATCH_RUN_MS = 6_000;
const WATCH_PUT_DELAY_MS = 2_000;
const SOCKET_DEADLINE_MS = 5_000;
const TLS_FLAGS = ['--insecure-skip-tls-verify', '--insecure-transport=false'];
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

describe('etcdctl with URL endpoints', { timeout: TEST_TIMEOUT_MS }, () => {
  let root: string;
  let server: TlsProcess | undefined;
  let httpUrl: string;
  let httpsUrl: string;
  let clientPort = 0;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'etcd-ts-url-endpoint-'));
    const [plainPort, securePort, peerPort] = await freePorts(3);
    clientPort = plainPort ?? 0;
    httpUrl = `http://127.0.0.1:${plainPort}`;
    httpsUrl = `https://127.0.0.1:${securePort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    server = await TlsProcess.start([
      `--data-dir=${join(root, 'member')}`, `--listen-client-urls=${httpUrl},${httpsUrl}`, `--advertise-client-urls=${httpUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`, '--auto-tls',
    ], 'etcd-ts');
  });

  after(async () => {
    await server?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  test('endpoint status, hashkv, health and member list over an http:// endpoint', async () => {
    const status = JSON.parse(await etcdctlOk(httpUrl, ['endpoint', 'status', '-w', 'json'])) as Array<{ Endpoint: string; Status: { leader: number; header: { member_id: number } } }>;
    assert.equal(status[0]?.Endpoint, httpUrl);
    assert.equal(status[0]?.Status.leader, status[0]?.Status.header.member_id);
    const cluster = JSON.parse(await etcdctlOk(httpUrl, ['endpoint', 'status', '--cluster', '-w', 'json'])) as unknown[];
    assert.equal(cluster.length, 1);
    const hash = JSON.parse(await etcdctlOk(httpUrl, ['endpoint', 'hashkv', '-w', 'json'])) as Array<{ HashKV: { hash: number } }>;
    assert.equal(typeof hash[0]?.HashKV.hash, 'number');
    const health = await etcdctl(httpUrl, ['endpoint', 'health']);
    assert.equal(health.code, 0, health.stderr);
    assert.match(health.stderr, new RegExp(`^${httpUrl} is healthy`));
    const members = JSON.parse(await etcdctlOk(httpUrl, ['member', 'list', '-w', 'json'])) as { members: Array<{ clientURLs: string[] }> };
    assert.deepEqual(members.members[0]?.clientURLs, [httpUrl]);
  });

  test('put, get and watch over an http:// endpoint', async () => {
    const watching = etcdctl(httpUrl, ['watch', 'url/w'], { timeoutMs: WATCH_RUN_MS });
    await sleep(WATCH_PUT_DELAY_MS);
    await etcdctlOk(httpUrl, ['put', 'url/w', 'seen']);
    assert.equal((await etcdctlOk(httpUrl, ['get', 'url/w', '--print-value-only'])).trim(), 'seen');
    assert.match((await watching).stdout, /^PUT\nurl\/w\nseen\n/);
  });

  test('endpoint status, put and get over an https:// endpoint', async () => {
    const status = JSON.parse(await etcdctlOk(httpsUrl, [...TLS_FLAGS, 'endpoint', 'status', '-w', 'json'])) as Array<{ Endpoint: string }>;
    assert.equal(status[0]?.Endpoint, httpsUrl);
    await etcdctlOk(httpsUrl, [...TLS_FLAGS, 'put', 'url/tls', 'yes']);
    assert.equal((await etcdctlOk(httpsUrl, [...TLS_FLAGS, 'get', 'url/tls', '--print-value-only'])).trim(), 'yes');
    await etcdctlOk(httpsUrl, [...TLS_FLAGS, 'endpoint', 'health']);
  });

  test('a connection with a URL :authority that sends a malformed frame is closed; the server keeps serving', async () => {
    const socket = connect(clientPort, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Buffer.concat([HTTP2_PREFACE, frameHeader(0, FrameType.settings, 0, 0)]));
    await firstBytes(socket);
    const block = encodeHeaderBlock([
      [':method', 'POST'], [':scheme', 'http'], [':path', '/etcdserverpb.Maintenance/Status'], [':authority', httpUrl],
    ].map(([name, value]) => ({ name: name ?? '', value: value ?? '', neverIndexed: false })));
    socket.write(Buffer.concat([
      frameHeader(0, FrameType.settings, 1, 0),
      frameHeader(block.length, FrameType.headers, 0x4, 1), block,
      // A CONTINUATION that follows a finished block is a protocol error.
      frameHeader(1, FrameType.continuation, 0x4, 1), Buffer.of(0x82),
    ]));
    await Promise.race([closed, sleep(SOCKET_DEADLINE_MS).then(() => assert.fail('connection not closed'))]);
    assert.equal((await etcdctlOk(httpUrl, ['endpoint', 'status', '-w', 'json'])).includes(httpUrl), true);
  });
});

function firstBytes(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no server SETTINGS')), SOCKET_DEADLINE_MS);
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(chunk);
    });
  });
}
