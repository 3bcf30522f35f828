// etcdctl elect against a server process: a candidate leads and prints its key and
// proposal, an observer (elect -l) sees each leader in turn, and a second candidate
// leads once the first resigns. ETCD_TS_TARGET=etcd runs it against etcd itself.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdctlSession } from '../lock/etcdctl-session.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
before(async () => {
  server = await startServer({ name: 'elect' });
});
after(async () => {
  await server?.stop();
});

test('leaders follow one another and the observer sees each of them', async () => {
  const sessions: EtcdctlSession[] = [];
  const start = (args: string[]): EtcdctlSession => {
    const session = new EtcdctlSession(server.endpoint, args);
    sessions.push(session);
    return session;
  };
  try {
    const first = start(['elect', 'chief', 'alice']);
    await first.waitFor(/^chief\/[0-9a-f]{1,16}\nalice\n$/);
    const observer = start(['elect', '-l', 'chief']);
    await observer.waitFor(/^chief\/[0-9a-f]{1,16}\nalice\n$/);
    const second = start(['elect', 'chief', 'bob']);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(second.stdout, '', 'the second candidate led while the first still did');
    await first.stop('SIGINT');
    await second.waitFor(/^chief\/[0-9a-f]{1,16}\nbob\n$/);
    await observer.waitFor(/^chief\/[0-9a-f]{1,16}\nalice\nchief\/[0-9a-f]{1,16}\nbob\n$/);
    const [aliceKey, bobKey] = observer.stdout.split('\n').filter((line) => line.startsWith('chief/'));
    assert.notEqual(aliceKey, bobKey);
    assert.equal(second.stdout.split('\n')[0], bobKey);
  } finally {
    for (const session of sessions.reverse()) await session.stop('SIGKILL');
  }
});
