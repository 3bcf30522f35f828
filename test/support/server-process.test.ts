// The harness itself: a started server serves, survives restart and kill with its
// data, and stop removes its data dir.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { etcdctlOk } from './etcdctl.js';
import { startServer } from './server-process.js';

test('a server starts, keeps data across restart and kill, and stop cleans up', async () => {
  const server = await startServer({ name: 'harness' });
  try {
    assert.match(server.endpoint, /^127\.0\.0\.1:\d+$/);
    assert.equal(server.clientUrl, `http://${server.endpoint}`);
    assert.match(server.logs(), /ready to serve client requests|serving client traffic insecurely/);
    assert.equal(await etcdctlOk(server.endpoint, ['put', 'k', 'v1']), 'OK\n');

    const firstPid = server.pid;
    await server.restart();
    assert.notEqual(server.pid, firstPid);
    assert.equal(await etcdctlOk(server.endpoint, ['get', 'k', '--print-value-only']), 'v1\n');

    await server.kill();
    assert.ok(existsSync(server.dataDir), 'kill keeps the data dir');
    await server.restart();
    assert.equal(await etcdctlOk(server.endpoint, ['get', 'k', '--print-value-only']), 'v1\n');
  } finally {
    // Real etcd re-raises SIGTERM on itself after a clean shutdown, so it has no exit code.
    const code = await server.stop();
    assert.ok(code === 0 || code === null, `stop exited ${code}`);
  }
  assert.equal(existsSync(server.dataDir), false, 'stop removes the data dir');
});

test('a server that cannot start fails with its logs instead of hanging', async () => {
  await assert.rejects(startServer({ args: ['--no-such-flag'] }), /server exited before ready/);
});
