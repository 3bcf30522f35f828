// Real client libraries with user and password: python-etcd3 and npm etcd3 log in,
// use their keys, are refused others with etcd's text, and (npm, as root) manage
// users and roles through the Auth service. Runs on etcd-ts, or etcd with ETCD_TS_TARGET=etcd.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { runPython } from '../support/python.js';
import type { ServerProcess } from '../support/server-process.js';
import { ALICE, ROOT, startServerWithUsers } from './auth-fixture.js';

let server: ServerProcess;
before(async () => {
  server = await startServerWithUsers();
});
after(async () => {
  await server?.stop();
});

test('python-etcd3 with user and password: its keys work, others are denied', async () => {
  const [host, port] = server.endpoint.split(':');
  // python-etcd3 logs in at construction, then sends the token both as call credentials and as
  // 'token' metadata; grpcio refuses call credentials on a plaintext channel, so (as its users
  // do without TLS) the test drops them and the token travels as metadata.
  const result = await runPython(`
import json, etcd3
c = etcd3.client(host='${host}', port=${port}, timeout=10, user='${ALICE.name}', password='${ALICE.password}')
c.call_credentials = None
c.put('app/py', 'from python')
value, _ = c.get('app/py')
try:
    c.get('secret/x')
    denied = None
except Exception as error:
    denied = str(error.details() if hasattr(error, 'details') else error)
try:
    etcd3.client(host='${host}', port=${port}, timeout=10, user='${ALICE.name}', password='wrong').get('app/py')
    wrong = None
except Exception as error:
    wrong = str(error.details() if hasattr(error, 'details') else error)
c.close()
print(json.dumps({'value': value.decode(), 'denied': denied, 'wrong': wrong}))
`);
  assert.deepEqual(result, {
    value: 'from python',
    denied: 'etcdserver: permission denied',
    wrong: 'etcdserver: authentication failed, invalid user ID or password',
  });
});

test('npm etcd3 with auth: its keys work, others are denied; as root it manages users and roles', async () => {
  const alice = new Etcd3({ hosts: server.clientUrl, auth: { username: ALICE.name, password: ALICE.password } });
  const root = new Etcd3({ hosts: server.clientUrl, auth: { username: ROOT.name, password: ROOT.password } });
  try {
    await alice.put('app/npm').value('from npm');
    assert.equal(await alice.get('app/npm').string(), 'from npm');
    await assert.rejects(alice.get('secret/x').string(), /etcdserver: permission denied/);
    await root.role('ops').create();
    await root.role('ops').grant({ permission: 'Read', key: 'secret/x' });
    await root.user('erin').create('erin-pw');
    await root.user('erin').addRole('ops');
    assert.deepEqual((await root.getUsers()).map((user) => user.name).sort(), ['alice', 'erin', 'root']);
    assert.deepEqual((await root.user('erin').roles()).map((role) => role.name), ['ops']);
    const erin = new Etcd3({ hosts: server.clientUrl, auth: { username: 'erin', password: 'erin-pw' } });
    try {
      assert.equal(await erin.get('secret/x').string(), 'top');
      await assert.rejects(erin.put('secret/x').value('no').exec(), /etcdserver: permission denied/);
    } finally {
      erin.close();
    }
  } finally {
    alice.close();
    root.close();
  }
});
