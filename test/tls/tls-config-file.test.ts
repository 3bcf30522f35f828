// --config-file carries TLS settings the way etcd's YAML does: two security objects
// (cert-file, key-file, client-cert-auth, trusted-ca-file, auto-tls) and a cipher list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerArgs } from '../../src/config/parse-server-args.js';

function fromFile(yaml: string): ReturnType<typeof parseServerArgs> {
  return parseServerArgs(['--config-file=/etc/etcd.yaml'], {}, () => yaml);
}

test('client-transport-security and peer-transport-security set the client and peer TLS flags', () => {
  const parsed = fromFile(`
listen-client-urls: https://127.0.0.1:2379
advertise-client-urls: https://127.0.0.1:2379
client-transport-security:
  cert-file: /tls/server.pem
  key-file: /tls/server-key.pem
  client-cert-auth: true
  trusted-ca-file: /tls/ca.pem
peer-transport-security:
  auto-tls: true
cipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
`);
  assert.equal(parsed.kind, 'run');
  if (parsed.kind !== 'run') return;
  assert.deepEqual(parsed.config.tls.client, {
    certFile: '/tls/server.pem', keyFile: '/tls/server-key.pem', trustedCaFile: '/tls/ca.pem', clientCertAuth: true,
    crlFile: '', autoTls: false, allowedCn: '', allowedHostname: '',
  });
  assert.equal(parsed.config.tls.peer.autoTls, true);
  assert.deepEqual(parsed.config.tls.cipherSuites, ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256']);
  assert.ok(!parsed.warnings.some((w) => w.includes('transport-security')), 'no "not supported" warning any more');
});

test("a wrongly typed security field is Go's decoding error", () => {
  const parsed = fromFile('client-transport-security:\n  client-cert-auth: "yes please"\n');
  assert.deepEqual(parsed, {
    kind: 'error', exitCode: 1,
    message: 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field securityConfig.client-transport-security.client-cert-auth of type bool',
  });
});

test('an https client URL in the file without a certificate is refused as on the command line', () => {
  const parsed = fromFile('listen-client-urls: https://127.0.0.1:2379\nadvertise-client-urls: https://127.0.0.1:2379\n');
  assert.deepEqual(parsed, {
    kind: 'error', exitCode: 1,
    message: 'TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:2379 with HTTPS scheme',
  });
});
