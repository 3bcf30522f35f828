// Peer URLs become dial and listen targets the way etcd reads them; schemes the
// transport cannot serve are refused with the URL in the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundUrl, parsePeerUrl, PeerUrlError } from '../../src/transport/peer-address.js';

test('http URLs give host and port, with etcd\'s peer port as the default', () => {
  assert.deepEqual(parsePeerUrl('http://127.0.0.1:12380'), { kind: 'tcp', host: '127.0.0.1', port: 12380, secure: false });
  assert.deepEqual(parsePeerUrl('http://localhost'), { kind: 'tcp', host: 'localhost', port: 2380, secure: false });
  assert.deepEqual(parsePeerUrl(new URL('http://[::1]:7001')), { kind: 'tcp', host: '::1', port: 7001, secure: false });
});

test('unix URLs give a socket path, absolute or relative', () => {
  assert.deepEqual(parsePeerUrl('unix:///tmp/peer.sock'), { kind: 'unix', path: '/tmp/peer.sock', secure: false });
  assert.deepEqual(parsePeerUrl('unix://infra1:2380'), { kind: 'unix', path: 'infra1:2380', secure: false });
});

test('https and unixs URLs are spoken with TLS', () => {
  assert.deepEqual(parsePeerUrl('https://127.0.0.1:2380'), { kind: 'tcp', host: '127.0.0.1', port: 2380, secure: true });
  assert.deepEqual(parsePeerUrl('unixs:///tmp/peer.sock'), { kind: 'unix', path: '/tmp/peer.sock', secure: true });
  assert.equal(boundUrl({ kind: 'tcp', host: '127.0.0.1', port: 0, secure: true }, { address: '127.0.0.1', family: 'IPv4', port: 4 }), 'https://127.0.0.1:4');
});

test('unsupported schemes and garbage are refused', () => {
  assert.throws(() => parsePeerUrl('ftp://127.0.0.1'), /scheme ftp: is not supported/);
  assert.throws(() => parsePeerUrl('not a url'), PeerUrlError);
});

test('a listener on port 0 reports the port the kernel chose, IPv6 in brackets', () => {
  const info = { address: '::1', family: 'IPv6', port: 40123 };
  assert.equal(boundUrl({ kind: 'tcp', host: '::1', port: 0, secure: false }, info), 'http://[::1]:40123');
  assert.equal(boundUrl({ kind: 'unix', path: '/tmp/p.sock', secure: false }, '/tmp/p.sock'), 'unix:///tmp/p.sock');
});
