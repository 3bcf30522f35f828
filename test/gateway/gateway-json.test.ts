// The gateway's JSON names are the .proto field names (grpc-gateway's OrigName):
// the rename table must cover every underscored field in proto/, and renaming a
// ts-proto toJSON result must give etcd's keys.
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { protoJsonName, toOrigNames, UNDERSCORED_FIELD_NAMES } from '../../src/api/http/gateway-json.js';
import { GATEWAY_ROUTES } from '../../src/api/http/gateway-routes.js';
import * as authpb from '../../src/generated/authpb/auth.js';
import * as rpc from '../../src/generated/etcdserverpb/rpc.js';
import { PutRequest, RangeResponse, StatusResponse, TxnRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { MESSAGE_DESCRIPTORS } from '../../src/generated/message-descriptors.js';
import * as mvccpb from '../../src/generated/mvccpb/kv.js';
import * as v3electionpb from '../../src/generated/v3electionpb/v3election.js';
import * as v3lockpb from '../../src/generated/v3lockpb/v3lock.js';
import { repoRoot } from '../support/repo-root.js';

const PUBLIC_PROTO_DIRS = ['authpb', 'etcdserverpb', 'mvccpb', 'v3electionpb', 'v3lockpb'];

async function publicFieldNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const dir of PUBLIC_PROTO_DIRS) {
    const folder = join(repoRoot(), 'proto', dir);
    for (const file of await readdir(folder)) {
      const text = await readFile(join(folder, file), 'utf8');
      for (const match of text.matchAll(/^\s*(?:repeated\s+)?[\w.]+\s+(\w+)\s*=\s*\d+/gm)) names.add(match[1] ?? '');
    }
  }
  return names;
}

test('every underscored field of the public protos is renamed, and no two names collide', async () => {
  const fields = await publicFieldNames();
  const underscored = [...fields].filter((name) => name.includes('_')).sort();
  assert.deepEqual([...UNDERSCORED_FIELD_NAMES].filter((name) => fields.has(name)).sort(), underscored);
  // A plain field spelled like another field's camelCase form needs its route to keep it (see the next test).
  assert.deepEqual(underscored.filter((name) => fields.has(protoJsonName(name))), ['raft_term']);
});

test("status keeps its own raftTerm while its header's raft_term is renamed", () => {
  const route = GATEWAY_ROUTES.get('/maintenance/status');
  assert.ok(route);
  const bytes = StatusResponse.encode(StatusResponse.fromPartial({ header: { raftTerm: 2n }, raftTerm: 2n, version: '3.5.17' })).finish();
  assert.deepEqual(route.decodeResponse(Buffer.from(bytes)), { header: { raft_term: '2' }, version: '3.5.17', raftTerm: '2' });
});

test('a range response renders with snake_case keys, string int64s and base64 bytes, as etcd shows it', () => {
  const response = RangeResponse.fromPartial({
    header: { clusterId: 1n, memberId: 2n, revision: 3n, raftTerm: 4n },
    kvs: [{ key: Buffer.from('a'), createRevision: 2n, modRevision: 3n, version: 2n, value: Buffer.from('2') }],
    count: 1n,
  });
  assert.deepEqual(toOrigNames(RangeResponse.toJSON(response)), {
    header: { cluster_id: '1', member_id: '2', revision: '3', raft_term: '4' },
    kvs: [{ key: 'YQ==', create_revision: '2', mod_revision: '3', version: '2', value: 'Mg==' }],
    count: '1',
  });
});

test('a txn request in etcd JSON (snake_case, enum names, oneofs) encodes like the same request built in code', () => {
  const route = GATEWAY_ROUTES.get('/kv/txn');
  assert.ok(route);
  const json = {
    compare: [{ key: 'YQ==', target: 'MOD', result: 'LESS', mod_revision: '5' }],
    success: [{ request_put: { key: 'Yg==', value: 'dA==', prev_kv: true } }],
  };
  const expected = TxnRequest.encode(
    TxnRequest.fromPartial({
      compare: [{ key: Buffer.from('a'), target: 2, result: 2, targetUnion: { $case: 'modRevision', value: 5n } }],
      success: [{ request: { $case: 'requestPut', value: { key: Buffer.from('b'), value: Buffer.from('t'), prevKv: true } } }],
    }),
  ).finish();
  assert.deepEqual(route.encodeRequest(Buffer.from(JSON.stringify(json))), Buffer.from(expected));
});

test('an int64 beyond 2^53 written as a JSON number arrives exact, as Go reads it', () => {
  const route = GATEWAY_ROUTES.get('/kv/put');
  assert.ok(route);
  const body = Buffer.from('{"key":"YQ==","lease":7587869227893776123,"note":9007199254740993}');
  const expected = PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from('a'), lease: 7587869227893776123n })).finish();
  assert.deepEqual(route.encodeRequest(body), Buffer.from(expected));
});

test('as with Go, only the first JSON value of a body counts, and a non-object is refused with its words', () => {
  const route = GATEWAY_ROUTES.get('/kv/put');
  assert.ok(route);
  const keyA = Buffer.from(PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from('a') })).finish());
  assert.deepEqual(route.encodeRequest(Buffer.from('{"key":"YQ=="} trailing')), keyA);
  assert.deepEqual(route.encodeRequest(Buffer.from('  ')), Buffer.alloc(0));
  assert.throws(() => route.encodeRequest(Buffer.from('[]')), { message: 'json: cannot unmarshal array into Go value of type map[string]json.RawMessage' });
  assert.throws(() => route.encodeRequest(Buffer.from('{"key":')), { name: 'GoJsonError', message: 'unexpected EOF' });
});

const GENERATED_PACKAGES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = { authpb, etcdserverpb: rpc, mvccpb, v3electionpb, v3lockpb };

test('the message descriptors the gateway decodes with name the same properties as the generated ts-proto messages', () => {
  for (const [fullName, fields] of Object.entries(MESSAGE_DESCRIPTORS)) {
    const [pkg = '', ...rest] = fullName.split('.');
    const generated = GENERATED_PACKAGES[pkg]?.[rest.join('_')] as { fromPartial(object: object): object } | undefined;
    assert.ok(generated, `ts-proto has no ${fullName}`);
    const described = new Set(fields.map((field) => field.oneofProperty ?? field.property));
    assert.deepEqual(new Set(Object.keys(generated.fromPartial({}))), described, fullName);
  }
});
