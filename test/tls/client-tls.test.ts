// A member serving https (with client certificates, a CRL) and http client URLs at
// once, as etcd does: etcdctl, curl, python-etcd3, npm etcd3 and our own client get
// through with the right certificates; a certificate from another CA, a revoked one,
// or none at all is refused, and the server keeps serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Etcd3 } from 'etcd3';
import { Etcd } from '../../src/client/etcd.js';
import { etcdctl } from '../support/etcdctl.js';
import { freePorts } from '../support/free-port.js';
import { runPython } from '../support/python.js';
import { runCommand } from '../support/run-command.js';
import { makeTestCertificates, type TestCertificates } from './support/test-certificates.js';
import { TlsProcess } from './support/tls-process.js';

const TEST_TIMEOUT_MS = 120_000;
const REFUSED_DIAL_TIMEOUT = '2s';
const COMMAND_TIMEOUT_MS = 20_000;

describe('client TLS with client certificates and a CRL', { timeout: TEST_TIMEOUT_MS }, () => {
  let certs: TestCertificates;
  let server: TlsProcess;
  let dataRoot: string;
  let httpsEndpoint: string;
  let httpEndpoint: string;
  let metricsEndpoint: string;

  before(async () => {
    certs = await makeTestCertificates();
    dataRoot = await mkdtemp(join(tmpdir(), 'etcd-ts-client-tls-'));
    const [httpsPort, httpPort, peerPort, metricsPort] = await freePorts(4);
    metricsEndpoint = `127.0.0.1:${metricsPort}`;
    httpsEndpoint = `127.0.0.1:${httpsPort}`;
    httpEndpoint = `127.0.0.1:${httpPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    server = await TlsProcess.start([
      `--data-dir=${join(dataRoot, 'member')}`,
      `--listen-client-urls=https://${httpsEndpoint},http://${httpEndpoint}`,
      `--advertise-client-urls=https://${httpsEndpoint}`, `--listen-metrics-urls=https://${metricsEndpoint}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`,
      `--cert-file=${certs.server.cert}`, `--key-file=${certs.server.key}`,
      `--trusted-ca-file=${certs.ca}`, '--client-cert-auth', `--client-crl-file=${certs.crl}`,
    ]);
  });

  after(async () => {
    await server?.stop();
    await certs?.remove();
    if (dataRoot !== undefined) await rm(dataRoot, { recursive: true, force: true });
  });

  const tlsArgs = (pair: { cert: string; key: string } | null, ca = certs.ca): string[] => [
    `--cacert=${ca}`, ...(pair === null ? [] : [`--cert=${pair.cert}`, `--key=${pair.key}`]),
  ];

  test('logs which URLs are served securely', () => {
    assert.match(server.logs(), /serving client traffic securely/);
    assert.match(server.logs(), /serving client traffic insecurely/);
  });

  test('etcdctl with --cacert/--cert/--key: put, get and a watch over https', async () => {
    const endpoint = `https://${httpsEndpoint}`;
    const put = await etcdctl(endpoint, [...tlsArgs(certs.client), 'put', 'tls-key', 'v1']);
    assert.equal(put.code, 0, put.stderr);
    const get = await etcdctl(endpoint, [...tlsArgs(certs.client), 'get', 'tls-key', '--print-value-only']);
    assert.equal(get.stdout.trim(), 'v1');
    const rev = await etcdctl(endpoint, [...tlsArgs(certs.client), 'put', 'tls-key', 'v2']);
    assert.equal(rev.code, 0, rev.stderr);
    const watch = await etcdctl(endpoint, [...tlsArgs(certs.client), 'watch', 'tls-key', '--rev=1'], { timeoutMs: 3000 });
    // etcdctl watch never ends by itself: it is cut by the time limit after printing history.
    assert.match(watch.stdout, /PUT\ntls-key\nv1\nPUT\ntls-key\nv2/);
  });

  test('the same data over the plaintext URL, served at the same time', async () => {
    const get = await etcdctl(`http://${httpEndpoint}`, ['get', 'tls-key', '--print-value-only']);
    assert.equal(get.stdout.trim(), 'v2');
  });

  test('curl --cacert with a client certificate reaches the JSON gateway over TLS', async () => {
    const url = `https://${httpsEndpoint}`;
    const curl = (path: string, body: string): Promise<{ code: number; stdout: string; stderr: string }> =>
      runCommand('curl', ['-sS', '--max-time', '10', '--cacert', certs.ca, '--cert', certs.client.cert, '--key', certs.client.key,
        `${url}${path}`, '-d', body], { timeoutMs: COMMAND_TIMEOUT_MS });
    const put = await curl('/v3/kv/put', JSON.stringify({ key: Buffer.from('gw').toString('base64'), value: Buffer.from('over-tls').toString('base64') }));
    assert.equal(put.code, 0, put.stderr);
    const range = await curl('/v3/kv/range', JSON.stringify({ key: Buffer.from('gw').toString('base64') }));
    const body = JSON.parse(range.stdout) as { kvs: { value: string }[] };
    assert.equal(Buffer.from(body.kvs[0]?.value ?? '', 'base64').toString(), 'over-tls');
    const noCert = await runCommand('curl', ['-sS', '--max-time', '10', '--cacert', certs.ca, `${url}/health`], { timeoutMs: COMMAND_TIMEOUT_MS });
    assert.notEqual(noCert.code, 0, 'a request without a client certificate must fail');
  });

  test('an https metrics URL is served with the client certificate settings', async () => {
    const metrics = await runCommand('curl', ['-sS', '--max-time', '10', '--cacert', certs.ca, '--cert', certs.client.cert, '--key', certs.client.key,
      `https://${metricsEndpoint}/metrics`], { timeoutMs: COMMAND_TIMEOUT_MS });
    assert.equal(metrics.code, 0, metrics.stderr);
    assert.match(metrics.stdout, /etcd_server_has_leader 1/);
    const plain = await runCommand('curl', ['-sS', '--max-time', '10', `http://${metricsEndpoint}/metrics`], { timeoutMs: COMMAND_TIMEOUT_MS });
    assert.doesNotMatch(plain.stdout, /etcd_server_has_leader/, 'not served in plaintext');
  });

  test('python-etcd3 with ca_cert, cert_key and cert_cert', async () => {
    const [host, port] = httpsEndpoint.split(':');
    const value = await runPython(`
import json, etcd3
c = etcd3.client(host='${host}', port=${port}, ca_cert='${certs.ca}', cert_key='${certs.client.key}', cert_cert='${certs.client.cert}', timeout=10)
c.put('py-tls', 'from-python')
v, _ = c.get('py-tls')
c.close()
print(json.dumps(v.decode()))
`, { timeoutMs: COMMAND_TIMEOUT_MS });
    assert.equal(value, 'from-python');
  });

  test('npm etcd3 with credentials', async () => {
    const client = new Etcd3({
      hosts: `https://${httpsEndpoint}`,
      credentials: { rootCertificate: await readFile(certs.ca), privateKey: await readFile(certs.client.key), certChain: await readFile(certs.client.cert) },
    });
    try {
      await client.put('npm-tls').value('from-npm');
      assert.equal(await client.get('npm-tls').string(), 'from-npm');
    } finally {
      client.close();
    }
  });

  test("etcd-ts's own client with tls { ca, cert, key }", async () => {
    const client = new Etcd({
      endpoints: [`https://${httpsEndpoint}`],
      tls: { ca: await readFile(certs.ca), cert: await readFile(certs.client.cert), key: await readFile(certs.client.key) },
    });
    try {
      await client.kv.put('own-tls', 'from-etcd-ts-client');
      assert.equal(await client.kv.getString('own-tls'), 'from-etcd-ts-client');
    } finally {
      await client.close();
    }
  });

  for (const [what, pair] of [
    ['a client certificate signed by another CA', () => certs.foreign],
    ['a revoked client certificate (CRL)', () => certs.revoked],
    ['no client certificate', () => null],
  ] as const) {
    test(`${what} is refused, and the server keeps serving`, async () => {
      const refused = await etcdctl(`https://${httpsEndpoint}`, [...tlsArgs(pair()), `--dial-timeout=${REFUSED_DIAL_TIMEOUT}`, '--command-timeout=3s', 'get', 'tls-key'], { timeoutMs: COMMAND_TIMEOUT_MS });
      assert.notEqual(refused.code, 0);
      assert.doesNotMatch(refused.stdout, /v2/);
      const ok = await etcdctl(`https://${httpsEndpoint}`, [...tlsArgs(certs.client), 'get', 'tls-key', '--print-value-only']);
      assert.equal(ok.stdout.trim(), 'v2');
    });
  }

  test('the CRL refusal is logged with the revoked serial', () => {
    assert.match(server.logs(), /"error":"transport: certificate serial [0-9a-f]+ revoked"[^\n]*"msg":"rejected connection"|rejected connection[^\n]*revoked/);
  });
});
