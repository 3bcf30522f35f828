// The python-etcd3 client (Debian's python3-etcd3) against one server: each snippet does
// what a Python user would and prints JSON, which the test checks exactly.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runPythonEtcd } from '../support/python.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
before(async () => {
  server = await startServer({ name: 'py' });
});
after(async () => {
  await server?.stop();
});

const py = (body: string): Promise<unknown> => runPythonEtcd(server.endpoint, body);

test('put then get returns the value and metadata with matching revisions', async () => {
  const result = await py(`
r1 = c.put('py/a', 'one').header.revision
r2 = c.put('py/a', 'two', prev_kv=True)
value, m = c.get('py/a')
missing = c.get('py/none')
out({'r1': r1, 'r2': r2.header.revision, 'prev': s(r2.prev_kv.value), 'value': s(value), 'meta': meta(m),
     'missing': [missing[0], missing[1] is None]})
`);
  const { r1, r2 } = result as { r1: number; r2: number };
  assert.equal(r2, r1 + 1);
  assert.deepEqual(result, {
    r1,
    r2,
    prev: 'one',
    value: 'two',
    meta: { key: 'py/a', create_revision: r1, mod_revision: r2, version: 2, lease_id: 0 },
    missing: [null, true],
  });
});

test('get_prefix and get_range return keys in order, with sort order and target', async () => {
  const result = await py(`
for k, v in [('pr/b', '2'), ('pr/a', '3'), ('pr/c', '1'), ('prz', 'x')]:
    c.put(k, v)
keys = lambda it: [s(m.key) for _, m in it]
out({'prefix': keys(c.get_prefix('pr/')),
     'range': keys(c.get_range('pr/a', 'pr/c')),
     'desc': keys(c.get_prefix('pr/', sort_order='descend')),
     'by_value': keys(c.get_prefix('pr/', sort_order='ascend', sort_target='value')),
     'keys_only': [[s(v), s(m.key)] for v, m in c.get_prefix('pr/', keys_only=True)]})
`);
  assert.deepEqual(result, {
    prefix: ['pr/a', 'pr/b', 'pr/c'],
    range: ['pr/a', 'pr/b'],
    desc: ['pr/c', 'pr/b', 'pr/a'],
    by_value: ['pr/c', 'pr/b', 'pr/a'],
    keys_only: [['', 'pr/a'], ['', 'pr/b'], ['', 'pr/c']],
  });
});

// Debian's python-etcd3 0.12 drops limit/revision/filters passed to get_prefix_response,
// so these go through its generated stub, as a Python user needing them would.
test('range requests through the stub carry count, more, limits, revisions and filters', async () => {
  const result = await py(`
from etcd3 import etcdrpc
def rng(**kw):
    return c.kvstub.Range(etcdrpc.RangeRequest(key=b'rf/', range_end=b'rf0', **kw), c.timeout)
rs = [c.put('rf/%d' % i, str(i)).header.revision for i in range(4)]
c.put('rf/0', 'again')
lim = rng(limit=2)
cnt = rng(count_only=True)
old = rng(revision=rs[1])
minmod = rng(min_mod_revision=rs[3])
maxcreate = rng(max_create_revision=rs[1])
ks = lambda r: [s(kv.key) + '=' + s(kv.value) for kv in r.kvs]
out({'limit': [ks(lim), lim.more, lim.count], 'count_only': [len(cnt.kvs), cnt.count],
     'at_rev': [ks(old), old.count], 'min_mod': ks(minmod), 'max_create': ks(maxcreate)})
`);
  assert.deepEqual(result, {
    limit: [['rf/0=again', 'rf/1=1'], true, 4],
    count_only: [0, 4],
    at_rev: [['rf/0=0', 'rf/1=1'], 2],
    min_mod: ['rf/0=again', 'rf/3=3'],
    max_create: ['rf/0=again', 'rf/1=1'],
  });
});

test('delete and delete_prefix report what they removed', async () => {
  const result = await py(`
for k in ['dl/a', 'dl/b', 'dl/c']:
    c.put(k, 'v')
one = c.delete('dl/a')
again = c.delete('dl/a')
prev = c.delete('dl/b', prev_kv=True, return_response=True)
rest = c.delete_prefix('dl/')
out({'one': one, 'again': again, 'prev': [prev.deleted, [s(kv.key) for kv in prev.prev_kvs]],
     'rest': rest.deleted, 'left': len(list(c.get_prefix('dl/')))})
`);
  assert.deepEqual(result, { one: true, again: false, prev: [1, ['dl/b']], rest: 1, left: 0 });
});

test('transactions take the success or failure branch by their compares', async () => {
  const result = await py(`
t = c.transactions
c.put('tx/a', '1')
ok, resps = c.transaction(compare=[t.value('tx/a') == '1', t.version('tx/a') > 0],
                          success=[t.put('tx/b', 'yes'), t.get('tx/a')], failure=[t.put('tx/b', 'no')])
bad, resps2 = c.transaction(compare=[t.value('tx/a') != '1'],
                            success=[t.put('tx/c', 'yes')], failure=[t.delete('tx/a'), t.get('tx/b')])
gets = [[s(v), m.version] for v, m in resps[1]]
out({'ok': ok, 'first_kind': resps[0].WhichOneof('response'), 'gets': gets, 'bad': bad,
     'deleted': resps2[0].response_delete_range.deleted, 'b': [s(v) for v, _ in resps2[1]], 'a': c.get('tx/a')[0], 'c': c.get('tx/c')[0]})
`);
  assert.deepEqual(result, {
    ok: true,
    first_kind: 'response_put',
    gets: [['1', 1]],
    bad: false,
    deleted: 1,
    b: ['yes'],
    a: null,
    c: null,
  });
});

test('replace and put_if_not_exists are compare-and-swap helpers', async () => {
  const result = await py(`
first = c.put_if_not_exists('cas/k', 'a')
second = c.put_if_not_exists('cas/k', 'b')
swapped = c.replace('cas/k', 'a', 'c')
stale = c.replace('cas/k', 'a', 'd')
out([first, second, swapped, stale, s(c.get('cas/k')[0])])
`);
  assert.deepEqual(result, [true, false, true, false, 'c']);
});

test('compact hides old revisions: reading one is an OUT_OF_RANGE error with etcd text', async () => {
  const result = await py(`
import grpc
from etcd3 import etcdrpc
def at(rev):
    return c.kvstub.Range(etcdrpc.RangeRequest(key=b'cp/k', revision=rev), c.timeout)
r1 = c.put('cp/k', 'v1').header.revision
r2 = c.put('cp/k', 'v2').header.revision
c.compact(r2, physical=True)
try:
    at(r1)
    err = None
except grpc.RpcError as e:
    err = [e.code().name, e.details()]
out({'err': err, 'at_compact': [s(kv.value) for kv in at(r2).kvs]})
`);
  assert.deepEqual(result, {
    err: ['OUT_OF_RANGE', 'etcdserver: mvcc: required revision has been compacted'],
    at_compact: ['v2'],
  });
});

test('status and members describe the single member', async () => {
  const result = await py(`
st = c.status()
ms = list(c.members)
out({'version': st.version, 'leader_is_member': st.leader.id == ms[0].id, 'db_size_positive': st.db_size > 0,
     'raft_index_positive': st.raft_index > 0, 'term_positive': st.raft_term > 0,
     'members': [[m.name, list(m.peer_urls), list(m.client_urls)] for m in ms]})
`);
  const version = (result as { version: string }).version;
  assert.match(version, /^3\.[45]\.\d+$/);
  assert.deepEqual(result, {
    version,
    leader_is_member: true,
    db_size_positive: true,
    raft_index_positive: true,
    term_positive: true,
    members: [['py', [server.peerUrl], [server.clientUrl]]],
  });
});
