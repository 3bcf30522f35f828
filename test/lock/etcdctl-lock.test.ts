// etcdctl lock against a server process: a command run under the lock sees its key,
// and a second locker waits until the holder lets go. ETCD_TS_TARGET=etcd runs the
// same stories against etcd itself.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { etcdctlOk } from '../support/etcdctl.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { EtcdctlSession } from './etcdctl-session.js';

let server: ServerProcess;
before(async () => {
  server = await startServer({ name: 'lock' });
});
after(async () => {
  await server?.stop();
});

test('a command run under the lock sees its key, <name>/<lease in hex>', async () => {
  const output = await etcdctlOk(server.endpoint, ['lock', 'job', '--', 'sh', '-c', 'echo "key=$ETCD_LOCK_KEY"']);
  assert.match(output, /^key=job\/[0-9a-f]{1,16}\n$/);
});

test('a second locker waits for the holder, and gets the lock once the holder exits', async () => {
  const holder = new EtcdctlSession(server.endpoint, ['lock', 'shared']);
  let waiter: EtcdctlSession | undefined;
  try {
    await holder.waitFor(/^shared\/[0-9a-f]{1,16}\n/);
    waiter = new EtcdctlSession(server.endpoint, ['lock', 'shared', '--', 'echo', 'acquired']);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(waiter.stdout, '', 'the waiter ran while the lock was held');
    assert.equal(await holder.stop('SIGINT'), 0);
    assert.equal(await waiter.exit(), 0);
    assert.equal(waiter.stdout, 'acquired\n');
  } finally {
    await waiter?.stop('SIGKILL');
    await holder.stop('SIGKILL');
  }
});
