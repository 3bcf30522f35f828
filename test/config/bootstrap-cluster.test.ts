// A member starting without data checks --initial-cluster against itself; the expected texts
// were printed by etcd 3.4.23 ("failed to start etcd") for the same flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyBootstrapCluster } from '../../src/config/index.js';
import { run } from './helpers.js';

const PEER = 'http://127.0.0.1:23998';

function verify(argv: readonly string[]): string | undefined {
  return verifyBootstrapCluster(run(argv).config);
}

test('the default configuration and a renamed member both bootstrap', () => {
  assert.equal(verify([]), undefined);
  assert.equal(verify(['--name', 'n1', '--initial-advertise-peer-urls', PEER]), undefined);
});

test('a moved advertise URL with the default name no longer matches the default cluster', () => {
  assert.equal(
    verify(['--initial-advertise-peer-urls', PEER]),
    `--initial-cluster has default=http://localhost:2380 but missing from --initial-advertise-peer-urls=${PEER} (resolved urls: "${PEER}" != "http://localhost:2380")`,
  );
});

test('the member must be named in the cluster', () => {
  assert.equal(
    verify(['--name', 'n1', '--initial-advertise-peer-urls', PEER, '--initial-cluster', `n2=${PEER}`]),
    'couldn\'t find local name "n1" in the initial cluster configuration',
  );
});

test('its cluster entry must list exactly its advertise peer URLs', () => {
  assert.equal(
    verify(['--name', 'n1', '--initial-advertise-peer-urls', PEER, '--initial-cluster', 'n1=http://127.0.0.1:23997']),
    `--initial-cluster has n1=http://127.0.0.1:23997 but missing from --initial-advertise-peer-urls=${PEER} (resolved urls: "${PEER}" != "http://127.0.0.1:23997")`,
  );
  assert.equal(
    verify(['--name', 'n1', '--initial-advertise-peer-urls', PEER, '--initial-cluster', `n1=${PEER},n1=http://127.0.0.1:23997`]),
    `--initial-cluster has n1=http://127.0.0.1:23997 but missing from --initial-advertise-peer-urls=${PEER} (len(["${PEER}"]) != len(["http://127.0.0.1:23997" "${PEER}"]))`,
  );
});

test('an advertise URL absent from the cluster entry is named', () => {
  const argv = ['--name', 'n1', '--initial-advertise-peer-urls', `${PEER},http://127.0.0.1:23997`, '--initial-cluster', `n1=${PEER}`];
  assert.equal(
    verify(argv),
    `--initial-advertise-peer-urls has http://127.0.0.1:23997 but missing from --initial-cluster=n1=http://127.0.0.1:23997,n1=${PEER}`,
  );
});

test('two members may not share a peer URL', () => {
  assert.equal(
    verify(['--name', 'n1', '--initial-advertise-peer-urls', PEER, '--initial-cluster', `n1=${PEER},n2=${PEER}`]),
    `initial cluster n1=${PEER},n2=${PEER} has duplicate url`,
  );
});

test('joining an existing cluster only needs the member listed', () => {
  const argv = ['--name', 'n1', '--initial-cluster-state', 'existing', '--initial-cluster', 'n1=http://10.0.0.9:2380'];
  assert.equal(verify(argv), undefined);
});
