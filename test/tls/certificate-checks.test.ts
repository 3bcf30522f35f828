// The checks made on the other end's certificate after a handshake, one by one:
// allowed CN / host name, CRL serials, and the peer listener's SAN rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import { allowedNameError, CERT_AUTH_FAILED, revokedError, sanError } from '../../src/tls/certificate-checks.js';
import { normaliseSerial, type TlsMaterial } from '../../src/tls/tls-material.js';

function cert(fields: { cn: string; san?: string; serial?: string }): PeerCertificate {
  return { subject: { CN: fields.cn }, subjectaltname: fields.san, serialNumber: fields.serial ?? '01' } as unknown as PeerCertificate;
}

function material(fields: Partial<TlsMaterial>): TlsMaterial {
  return {
    cert: Buffer.alloc(0), key: Buffer.alloc(0), ca: null, requireClientCert: true, revokedSerials: null, allowedCn: '', allowedHostname: '',
    selfSigned: false, ciphers: undefined, minVersion: 'TLSv1.2', maxVersion: undefined, description: {}, ...fields,
  };
}

test('--peer-cert-allowed-cn accepts only that common name', () => {
  const rule = material({ allowedCn: 'etcd-peer' });
  assert.equal(allowedNameError(cert({ cn: 'etcd-peer' }), rule), undefined);
  assert.equal(allowedNameError(cert({ cn: 'intruder' }), rule), CERT_AUTH_FAILED);
});

test('--peer-cert-allowed-hostname / --client-cert-allowed-hostname accept certificates valid for that name', () => {
  const rule = material({ allowedHostname: 'node1.example.com' });
  assert.equal(allowedNameError(cert({ cn: 'x', san: 'DNS:node1.example.com' }), rule), undefined);
  assert.equal(allowedNameError(cert({ cn: 'x', san: 'DNS:*.example.com' }), rule), undefined);
  assert.equal(allowedNameError(cert({ cn: 'x', san: 'DNS:node2.example.com' }), rule), CERT_AUTH_FAILED);
});

test('a certificate whose serial is in the CRL is refused, however the serial is spelled', () => {
  const rule = material({ revokedSerials: new Set([normaliseSerial('00AB:CD')]) });
  assert.equal(revokedError(cert({ cn: 'x', serial: 'abcd' }), rule), 'transport: certificate serial abcd revoked');
  assert.equal(revokedError(cert({ cn: 'x', serial: '0ABCE' }), rule), undefined);
  assert.equal(revokedError(cert({ cn: 'x', serial: 'abcd' }), material({})), undefined, 'no CRL, nothing revoked');
});

test("the peer listener's SAN rule: the certificate must name the address the peer dials from", async () => {
  assert.equal(await sanError(cert({ cn: 'x', san: 'IP Address:127.0.0.1' }), '127.0.0.1'), undefined);
  assert.equal(await sanError(cert({ cn: 'x', san: 'IP Address:127.0.0.1' }), '::ffff:127.0.0.1'), undefined);
  assert.equal(await sanError(cert({ cn: 'x' }), '10.9.9.9'), undefined, 'no SANs: nothing to check, as etcd');
  assert.match(await sanError(cert({ cn: 'x', san: 'IP Address:10.1.2.3' }), '127.0.0.1') ?? '', /not 127\.0\.0\.1/);
  assert.equal(await sanError(cert({ cn: 'x', san: 'DNS:localhost' }), '127.0.0.1'), undefined, 'a DNS name that resolves to the address');
  assert.equal(await sanError(cert({ cn: 'x', san: 'DNS:no-such-host.invalid' }), '127.0.0.1'),
    'tls: "127.0.0.1" does not match any of DNSNames ["no-such-host.invalid"]');
});
