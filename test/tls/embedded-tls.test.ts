// The in-process server takes TLS options: its client port is https, and a client
// without the certificate the CA requires does not get in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Etcd } from '../../src/client/etcd.js';
import { startServer, type RunningServer } from '../../src/embed/start-server.js';
import { makeTestCertificates, type TestCertificates } from './support/test-certificates.js';

const REFUSED_CALL_TIMEOUT_MS = 2000;

let certs: TestCertificates;
let server: RunningServer;

before(async () => {
  certs = await makeTestCertificates();
  server = await startServer({ tls: { cert: await readFile(certs.server.cert), key: await readFile(certs.server.key), ca: await readFile(certs.ca) } });
});

after(async () => {
  await server?.close();
  await certs?.remove();
});

test('an embedded server with tls options serves https to clients with a certificate', async () => {
  assert.match(server.clientUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = await readFile(certs.ca);
  const client = new Etcd({ endpoints: [server.clientUrl], tls: { ca, cert: await readFile(certs.client.cert), key: await readFile(certs.client.key) } });
  try {
    await client.put('embedded', 'tls');
    assert.equal(await client.getString('embedded'), 'tls');
  } finally {
    await client.close();
  }
  const withoutCert = new Etcd({ endpoints: [server.clientUrl], tls: { ca }, dialTimeoutMs: REFUSED_CALL_TIMEOUT_MS, defaultCallTimeoutMs: REFUSED_CALL_TIMEOUT_MS });
  try {
    await assert.rejects(withoutCert.getString('embedded'));
  } finally {
    await withoutCert.close();
  }
});
