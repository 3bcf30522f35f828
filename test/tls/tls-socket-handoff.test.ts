// The client port hands the TLS socket itself to gRPC and to the HTTP server: a gRPC
// handler reads the client certificate from call.getAuthContext() (etcd's common-name
// rule depends on it) and an HTTP handler from request.socket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect as connectTls, TLSSocket } from 'node:tls';
import { Client, credentials, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { GrpcServer } from '../../src/api/h2server/grpc-server.js';
import { ClientListeners, loopbackTarget } from '../../src/api/http/client-listeners.js';
import { SILENT_LOGGER } from '../../src/log/logger.js';
import { loadTlsMaterial } from '../../src/tls/tls-material.js';
import { NO_TLS_FLAGS, NO_TRANSPORT_SECURITY } from '../../src/tls/transport-security.js';
import { makeTestCertificates, type TestCertificates } from './support/test-certificates.js';

const CALL_DEADLINE_MS = 5000;
const raw = (value: Buffer): Buffer => value;

// One unary method that answers with the common name gRPC saw on the client certificate.
const WHO_AM_I: ServiceDefinition = {
  whoAmI: {
    path: '/test.Identity/WhoAmI', requestStream: false, responseStream: false,
    requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw,
  },
};

let certs: TestCertificates;
let grpcServer: GrpcServer;
let listeners: ClientListeners;
let target: string;

before(async () => {
  certs = await makeTestCertificates();
  const material = await loadTlsMaterial(
    { ...NO_TRANSPORT_SECURITY, certFile: certs.server.cert, keyFile: certs.server.key, trustedCaFile: certs.ca, clientCertAuth: true },
    NO_TLS_FLAGS,
    { autoDir: certs.dir, hosts: [], forPeers: false, logger: SILENT_LOGGER },
  );
  grpcServer = new GrpcServer({ receiveLimitBytes: -1, maxConcurrentStreams: null, counters: null });
  grpcServer.addService(WHO_AM_I, {
    whoAmI: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      const cn = call.getAuthContext().sslPeerCertificate?.subject?.CN ?? '(none)';
      callback(null, Buffer.from(String(cn)));
    },
  });
  listeners = await ClientListeners.open(
    [new URL('https://127.0.0.1:0')],
    grpcServer,
    (request, response) => {
      const socket = request.socket;
      const cn = socket instanceof TLSSocket ? String(socket.getPeerCertificate().subject?.CN ?? '(none)') : '(not TLS)';
      response.end(cn);
    },
    { material, logger: SILENT_LOGGER },
  );
  const server = listeners.netServers[0];
  assert.ok(server !== undefined);
  target = loopbackTarget(server);
});

after(async () => {
  listeners?.destroy();
  grpcServer?.destroy();
  await certs?.remove();
});

test("a gRPC handler reads the client certificate's common name from its auth context", async () => {
  const client = new Client(target, credentials.createSsl(await readFile(certs.ca), await readFile(certs.client.key), await readFile(certs.client.cert)));
  try {
    const answer = await new Promise<Buffer>((resolve, reject) => {
      client.makeUnaryRequest('/test.Identity/WhoAmI', raw, raw, Buffer.alloc(0), { deadline: Date.now() + CALL_DEADLINE_MS }, (error, value) => {
        if (error !== null || value === undefined) reject(error ?? new Error('no answer'));
        else resolve(value);
      });
    });
    assert.equal(answer.toString(), 'root');
  } finally {
    client.close();
  }
});

test('an HTTP handler sees the TLS socket and its client certificate (ALPN http/1.1, as curl offers it)', async () => {
  const [host, port] = target.split(':');
  const socket = connectTls({
    host, port: Number(port), ca: readFileSync(certs.ca), cert: readFileSync(certs.client.cert), key: readFileSync(certs.client.key),
    ALPNProtocols: ['h2', 'http/1.1'],
  });
  try {
    const text = await new Promise<string>((resolve, reject) => {
      let received = '';
      socket.once('secureConnect', () => socket.write('GET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.once('end', () => resolve(received));
      socket.once('error', reject);
      socket.setTimeout(CALL_DEADLINE_MS, () => reject(new Error('no answer')));
    });
    assert.equal(socket.alpnProtocol, 'http/1.1');
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.ok(text.endsWith('root'), text);
  } finally {
    socket.destroy();
  }
});

test('a client without ALPN is told apart by its first bytes and still reaches the HTTP handler', async () => {
  const [host, port] = target.split(':');
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest({
      host, port: Number(port), path: '/whoami', method: 'GET', timeout: CALL_DEADLINE_MS,
      ca: readFileSync(certs.ca), cert: readFileSync(certs.client.cert), key: readFileSync(certs.client.key),
    }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(body, 'root');
});
