// Malformed JSON bodies get etcd's exact answer from the gateway. Every row is sent over
// HTTP to the real etcd (so the table is etcd's behaviour, not a guess) and to etcd-ts,
// and both must answer with the status and the byte-exact body of the row.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { startServer, type ServerProcess } from '../support/server-process.js';

const REQUEST_TIMEOUT_MS = 5_000;
const STREAM_READ_TIMEOUT_MS = 3_000;

interface Row {
  readonly path: string;
  readonly body: string | Buffer;
  readonly status: number;
  /** The error text; the body is grpc-gateway's {"error","message","code"}. */
  readonly error: string;
  /** gRPC code in the body; 3 (InvalidArgument) unless said. */
  readonly code?: number;
}

const range = (body: string): { path: string; body: string } => ({ path: '/v3/kv/range', body });
const bad = (path: string, body: string | Buffer, error: string): Row => ({ path, body, status: 400, error });
const badRange = (body: string, error: string): Row => bad('/v3/kv/range', body, error);
const typeErr = (kind: string, goType: string): string => `json: cannot unmarshal ${kind} into Go value of type ${goType}`;
const MAP = 'map[string]json.RawMessage';
/** encoding/json refuses objects and arrays nested deeper than this. */
const GO_NESTING_DEPTH_MAX = 10_000;
const SORT_ORDER = 'etcdserverpb.RangeRequest_SortOrder';

/** Syntax: Go's scanner texts; only the first value of a body is read. */
const SYNTAX_ROWS: readonly Row[] = [
  badRange('x', "invalid character 'x' looking for beginning of value"),
  badRange('{', 'unexpected EOF'),
  badRange('{"key":"YQ=="', 'unexpected EOF'),
  badRange('{"key":tru', 'unexpected EOF'),
  badRange('{"key" "YQ=="}', `invalid character '"' after object key`),
  badRange('{"key":"YQ==",}', "invalid character '}' looking for beginning of object key string"),
  badRange('{key:1}', "invalid character 'k' looking for beginning of object key string"),
  badRange('{"key":tru}', "invalid character '}' in literal true (expecting 'e')"),
  badRange('{"key":nul}', "invalid character '}' in literal null (expecting 'l')"),
  badRange('{"key":"a\\x"}', "invalid character 'x' in string escape code"),
  badRange('{"key":"a\nb"}', "invalid character '\\n' in string literal"),
  badRange('{"key":"\\u12g4"}', "invalid character 'g' in \\u hexadecimal character escape"),
  badRange('{"limit":01}', "invalid character '1' after object key:value pair"),
  badRange('{"limit":1.}', "invalid character '}' after decimal point in numeric literal"),
  badRange('{"limit":1e}', "invalid character '}' in exponent of numeric literal"),
  badRange('{"limit":-}', "invalid character '}' in numeric literal"),
  badRange('[1 2]', "invalid character '2' after array element"),
  badRange('<', "invalid character '<' looking for beginning of value"),
  bad('/v3/kv/range', Buffer.from([0x7f]), "invalid character '\\x7f' looking for beginning of value"),
  bad('/v3/kv/range', Buffer.from('é'), "invalid character 'Ã' looking for beginning of value"),
  bad('/v3/kv/range', Buffer.from('\ufeff{}'), "invalid character 'ï' looking for beginning of value"),
  badRange('['.repeat(GO_NESTING_DEPTH_MAX), 'unexpected EOF'),
  badRange(`{"key":"YQ==","x":${'['.repeat(GO_NESTING_DEPTH_MAX)}`, "invalid character '[' exceeded max depth"),
  badRange('[]', typeErr('array', MAP)),
  badRange('"x"', typeErr('string', MAP)),
  badRange('12', typeErr('number', MAP)),
  badRange('123abc', typeErr('number', MAP)),
  badRange('true', typeErr('bool', MAP)),
  bad('/v3/maintenance/status', 'x', "invalid character 'x' looking for beginning of value"),
  bad('/v3/maintenance/hash', '[]', typeErr('array', MAP)),
];

/** Bytes: base64 with padding, Go's offsets; an array of numbers is accepted as Go accepts it. */
const BYTES_ROWS: readonly Row[] = [
  badRange('{"key":"YQ"}', 'illegal base64 data at input byte 0'),
  badRange('{"key":"Y"}', 'illegal base64 data at input byte 0'),
  badRange('{"key":"YQ="}', 'illegal base64 data at input byte 3'),
  badRange('{"key":"YQ==="}', 'illegal base64 data at input byte 4'),
  badRange('{"key":"YWJj!"}', 'illegal base64 data at input byte 4'),
  badRange('{"key":"YWJjZA==YQ=="}', 'illegal base64 data at input byte 8'),
  badRange('{"key":"a-b_"}', 'illegal base64 data at input byte 1'),
  badRange('{"key":"é"}', 'illegal base64 data at input byte 0'),
  badRange('{"key":"YQ\\n"}', 'illegal base64 data at input byte 1'),
  badRange('{"key":"YQ==\\nx"}', 'illegal base64 data at input byte 5'),
  badRange('{"key":"YWJjZA=\\n"}', 'illegal base64 data at input byte 8'),
  badRange('{"key":"Y==="}', 'illegal base64 data at input byte 1'),
  badRange('{"key":"YW Jj"}', 'illegal base64 data at input byte 2'),
  badRange('{"key":"YWJjYWJjYWJjYWJjYWJj*"}', 'illegal base64 data at input byte 20'),
  badRange('{"key":"\\ud800YQ=="}', 'illegal base64 data at input byte 0'),
  badRange('{"key":123}', typeErr('number', '[]uint8')),
  badRange('{"key":true}', typeErr('bool', '[]uint8')),
  badRange('{"key":{}}', typeErr('object', '[]uint8')),
  badRange('{"key":[256]}', typeErr('number 256', 'uint8')),
  badRange('{"key":["a"]}', typeErr('string', 'uint8')),
  bad('/v3/lock/unlock', '{"key":{}}', typeErr('object', '[]uint8')),
  bad('/v3/election/campaign', '{"name":"Y"}', 'illegal base64 data at input byte 0'),
];

/** Integers as numbers or strings, bools, strings, enums by name and by number. */
const SCALAR_ROWS: readonly Row[] = [
  badRange('{"limit":"abc"}', "invalid character 'a' looking for beginning of value"),
  badRange('{"limit":""}', 'unexpected end of JSON input'),
  badRange('{"key":"YQ==","limit":"tru"}', "invalid character ' ' in literal true (expecting 'e')"),
  badRange('{"limit":"1 2"}', "invalid character '2' after top-level value"),
  badRange('{"limit":"\\u0031"}', "invalid character '\\\\' looking for beginning of value"),
  badRange('{"limit":"1.5"}', typeErr('number 1.5', 'int64')),
  badRange('{"limit":1.5}', typeErr('number 1.5', 'int64')),
  badRange('{"limit":1e3}', typeErr('number 1e3', 'int64')),
  badRange('{"limit":9223372036854775808}', typeErr('number 9223372036854775808', 'int64')),
  badRange('{"limit":"-9223372036854775809"}', typeErr('number -9223372036854775809', 'int64')),
  badRange('{"limit":true}', typeErr('bool', 'int64')),
  badRange('{"limit":[]}', typeErr('array', 'int64')),
  badRange('{"key":"YQ==","limit":"{}"}', typeErr('object', 'int64')),
  bad('/v3/cluster/member/remove', '{"ID":-1}', typeErr('number -1', 'uint64')),
  bad('/v3/cluster/member/remove', '{"ID":"18446744073709551616"}', typeErr('number 18446744073709551616', 'uint64')),
  bad('/v3/maintenance/alarm', '{"action":"GET","memberID":"-5"}', typeErr('number -5', 'uint64')),
  bad('/v3/maintenance/transfer-leadership', '{"targetID":1.5}', typeErr('number 1.5', 'uint64')),
  bad('/v3/lease/grant', '{"TTL":60,"ID":18446744073709551615}', typeErr('number 18446744073709551615', 'int64')),
  bad('/v3/lease/revoke', '{"ID":"0x10"}', "invalid character 'x' after top-level value"),
  bad('/v3/lock/lock', '{"name":"YQ==","lease":true}', typeErr('bool', 'int64')),
  badRange('{"serializable":"true"}', typeErr('string', 'bool')),
  badRange('{"serializable":1}', typeErr('number', 'bool')),
  bad('/v3/kv/deleterange', '{"key":"YQ==","prev_kv":[]}', typeErr('array', 'bool')),
  bad('/v3/kv/compaction', '{"revision":"-1","physical":"x"}', typeErr('string', 'bool')),
  bad('/v3/cluster/member/add', '{"peerURLs":[1]}', typeErr('number', 'string')),
  bad('/v3/cluster/member/add', '{"peerURLs":"http://x"}', typeErr('string', '[]json.RawMessage')),
  badRange('{"sort_order":"BOGUS"}', `unknown value "BOGUS" for enum ${SORT_ORDER}`),
  badRange('{"sortOrder":"descend"}', `unknown value "descend" for enum ${SORT_ORDER}`),
  badRange('{"sort_order":"2"}', `unknown value "2" for enum ${SORT_ORDER}`),
  badRange('{"sort_order":""}', `unknown value "" for enum ${SORT_ORDER}`),
  badRange('{"key":"YQ==","sort_order":"\\u0041SCEND"}', `unknown value "\\\\u0041SCEND" for enum ${SORT_ORDER}`),
  badRange('{"key":"YQ==","sort_order":"\u2028<"}', `unknown value "\\u2028<" for enum ${SORT_ORDER}`),
  bad('/v3/kv/range', Buffer.from('{"key":"YQ==","sort_order":"\u00ad\u00a0\u0085\u200b\ufeff\u{1F600}"}'),
    `unknown value "\\u00ad\\u00a0\\u0085\\u200b\\ufeff\u{1F600}" for enum ${SORT_ORDER}`),
  bad('/v3/kv/range', Buffer.concat([Buffer.from('{"key":"YQ==","sort_order":"'), Buffer.from([0xff, 0xc3, 0x28, 0x7f]), Buffer.from('"}')]),
    `unknown value "\\xff\\xc3(\\x7f" for enum ${SORT_ORDER}`),
  badRange('{"sort_order":1.5}', typeErr('number 1.5', SORT_ORDER)),
  badRange('{"sort_order":4294967296}', typeErr('number 4294967296', SORT_ORDER)),
  badRange('{"sort_order":true}', typeErr('bool', SORT_ORDER)),
  bad('/v3/maintenance/alarm', '{"action":"BOGUS"}', 'unknown value "BOGUS" for enum etcdserverpb.AlarmRequest_AlarmAction'),
  bad('/v3/maintenance/alarm', '{"action":"GET","alarm":"BOGUS"}', 'unknown value "BOGUS" for enum etcdserverpb.AlarmType'),
];

/** Messages, repeated fields, oneofs and field order: the first bad field in declaration order is named. */
const NESTED_ROWS: readonly Row[] = [
  bad('/v3/kv/txn', '{"compare":{}}', typeErr('object', '[]json.RawMessage')),
  bad('/v3/kv/txn', '{"compare":[1]}', typeErr('number', MAP)),
  bad('/v3/kv/txn', '{"compare":[{"key":"YQ==","target":"BOGUS"}]}', 'unknown value "BOGUS" for enum etcdserverpb.Compare_CompareTarget'),
  bad('/v3/kv/txn', '{"compare":[{"key":"YQ==","result":"NOPE","target":"BOGUS"}]}', 'unknown value "NOPE" for enum etcdserverpb.Compare_CompareResult'),
  bad('/v3/kv/txn', '{"compare":[{"key":"YQ==","target":"VERSION","version":"x"}]}', "invalid character 'x' looking for beginning of value"),
  bad('/v3/kv/txn', '{"compare":[{"key":"YQ==","target_union":1}]}', typeErr('number', 'etcdserverpb.isCompare_TargetUnion')),
  bad('/v3/kv/txn', '{"success":[{"request":{}}]}', typeErr('object', 'etcdserverpb.isRequestOp_Request')),
  bad('/v3/kv/txn', '{"success":[{"request_put":[]}]}', typeErr('array', MAP)),
  bad('/v3/kv/txn', '{"success":[{"requestPut":{"key":"YQ==","lease":"z"}}]}', "invalid character 'z' looking for beginning of value"),
  bad('/v3/kv/txn', '{"success":[{"request_txn":{"failure":[{"request_range":{"key":"YQ==","sort_target":"NAME"}}]}}]}',
    'unknown value "NAME" for enum etcdserverpb.RangeRequest_SortTarget'),
  bad('/v3/kv/txn', '{"success":[{"request_put":{"key":"YQ=="}}],"compare":[{"key":"Y"}]}', 'illegal base64 data at input byte 0'),
  bad('/v3/kv/txn', '{"compare":[{"key":"YQ==","target":"MOD","mod_revision":"1"}],"compare":"x"}', typeErr('string', '[]json.RawMessage')),
  badRange('{"limit":"x","key":"Y"}', 'illegal base64 data at input byte 0'),
  badRange('{"rangeEnd":"Y","range_end":"YQ=="}', 'illegal base64 data at input byte 0'),
  bad('/v3/election/proclaim', '{"leader":{"rev":"x"}}', "invalid character 'x' looking for beginning of value"),
  bad('/v3/election/proclaim', '{"leader":{"name":"YQ==","key":"YQ==","rev":"1","lease":"1"},"value":"Y"}', 'illegal base64 data at input byte 0'),
];

const manyPuts = (count: number): string =>
  `{"success":[${Array.from({ length: count }, (_unused, i) => `{"request_put":{"key":"${Buffer.from(`k${i}`).toString('base64')}"}}`).join(',')}]}`;
const putOfBytes = (valueBytes: number): string => `{"key":"YQ==","value":"${Buffer.alloc(valueBytes, 'x').toString('base64')}"}`;
/** etcd's default --max-request-bytes plus gRPC's overhead allowance: what its server receives at most. */
const GRPC_RECEIVE_MAX_BYTES = 1.5 * 1024 * 1024 + 512 * 1024;
const TOO_LARGE_VALUE_BYTES = 1_700_000;
const OVER_GRPC_VALUE_BYTES = 2_200_000;

/** Well-formed bodies the server refuses: the same status, code and text as etcd's server behind its gateway. */
const REQUEST_ROWS: readonly Row[] = [
  bad('/v3/kv/put', '{"value":"dg=="}', 'etcdserver: key is not provided'),
  { path: '/v3/kv/put', body: '{"key":"YQ==","lease":"12345"}', status: 404, error: 'etcdserver: requested lease not found', code: 5 },
  bad('/v3/kv/put', '{"key":"bm9uZQ==","ignore_lease":true}', 'etcdserver: key not found'),
  bad('/v3/kv/put', '{"key":"YQ==","value":"dg==","ignore_value":true}', 'etcdserver: value is provided'),
  bad('/v3/kv/put', '{"key":"YQ==","lease":"5","ignore_lease":true}', 'etcdserver: lease is provided'),
  bad('/v3/kv/put', putOfBytes(TOO_LARGE_VALUE_BYTES), 'etcdserver: request is too large'),
  {
    path: '/v3/kv/put',
    body: putOfBytes(OVER_GRPC_VALUE_BYTES),
    status: 429,
    error: `grpc: received message larger than max (${OVER_GRPC_VALUE_BYTES + 8} vs. ${GRPC_RECEIVE_MAX_BYTES})`,
    code: 8,
  },
  { path: '/v3/kv/range', body: '{"key":"YQ==","revision":"100000"}', status: 400, error: 'etcdserver: mvcc: required revision is a future revision', code: 11 },
  bad('/v3/kv/deleterange', '{}', 'etcdserver: key is not provided'),
  { path: '/v3/kv/compaction', body: '{"revision":"100000"}', status: 400, error: 'etcdserver: mvcc: required revision is a future revision', code: 11 },
  bad('/v3/kv/txn', '{"success":[{"request_put":{"key":"YQ=="}},{"request_put":{"key":"YQ=="}}]}', 'etcdserver: duplicate key given in txn request'),
  bad('/v3/kv/txn', manyPuts(129), 'etcdserver: too many operations in txn request'),
  bad('/v3/kv/txn', '{"success":[{}]}', 'etcdserver: key not found'),
  bad('/v3/kv/txn', '{"success":[{"request_range":{}}]}', 'etcdserver: key is not provided'),
  bad('/v3/kv/txn', '{"compare":[{"target":"VERSION","version":"1"}]}', 'etcdserver: key is not provided'),
  { path: '/v3/kv/txn', body: '{"success":[{"request_put":{"key":"YQ==","lease":"77"}}]}', status: 404, error: 'etcdserver: requested lease not found', code: 5 },
  { path: '/v3/lease/revoke', body: '{"ID":"999"}', status: 404, error: 'etcdserver: requested lease not found', code: 5 },
  { path: '/v3/cluster/member/remove', body: '{"ID":"1"}', status: 404, error: 'etcdserver: member not found', code: 5 },
  bad('/v3/cluster/member/add', '{"peerURLs":["not a url"]}', 'etcdserver: given member URLs are invalid'),
  { path: '/v3/cluster/member/promote', body: '{"ID":"1"}', status: 404, error: 'etcdserver: member not found', code: 5 },
  { path: '/v3/maintenance/transfer-leadership', body: '{"targetID":"1"}', status: 412, error: 'etcdserver: bad leader transferee', code: 9 },
  { path: '/v3/election/leader', body: '{"name":"ZQ=="}', status: 500, error: 'election: no leader', code: 2 },
  { path: '/v3/election/resign', body: '{}', status: 500, error: '"leader" field must be provided', code: 2 },
  { path: '/v3/lock/lock', body: '{"name":"bA==","lease":"999"}', status: 500, error: 'etcdserver: requested lease not found', code: 2 },
];

/** Bodies etcd's gateway takes (lenient where jsonpb is): both servers must answer the same. */
const ACCEPTED: readonly { path: string; body: string }[] = [
  range(''),
  range('   '),
  range('null'),
  range('{"key":null,"limit":null,"serializable":null,"sort_order":null}'),
  range('{"key":"YQ==","unknown_field":{"deep":[1,"x"]}}'),
  range('{"key":"YQ=="} trailing'),
  range('{"key":"YR=="}'),
  range('{"key":"YW\\nJj"}'),
  range('{"key":"YQ=\\n="}'),
  range('{"key":"YWJjZA\\r\\n=="}'),
  range('{"key":"Y","key":"YQ=="}'),
  range('{"range_end":"Y","rangeEnd":"YQ==","key":"YQ=="}'),
  range('{"key":"YQ==","limit":" 12 ","sort_order":2}'),
  range('{"key":"YQ==","limit":"-0","revision":"null"}'),
  { path: '/v3/kv/put', body: '{"key":[97,98],"value":"dg=="}' },
  range('{"key":"YWI="}'),
  { path: '/v3/kv/txn', body: '{"compare":[{"key":"YWI=","version":null}],"success":[{"request_range":{"key":"YWI="}}]}' },
  { path: '/v3/kv/txn', body: '{"compare":[{"key":"YQ==","target_union":null}],"success":[{"request_put":null}]}' },
  { path: '/v3/cluster/member/add', body: '{"peerURLs":[null, "x"],"isLearner":"no"}' },
];

interface Answer {
  readonly status: number;
  readonly body: string;
}

async function post(server: ServerProcess, path: string, body: string | Buffer): Promise<Answer> {
  const response = await fetch(`${server.clientUrl}${path}`, { method: 'POST', body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: response.status, body: await response.text() };
}

/** grpc-gateway's error body as Go writes it (HTML-safe escapes), built here from the row. */
function errorBody(error: string, code: number): string {
  const text = JSON.stringify(error).replace(/[<>&\u2028]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `{"error":${text},"message":${text},"code":${code}}`;
}

/** Ids and terms differ between two clusters. */
function normalized(text: string): string {
  return text.replace(/"(cluster_id|member_id|raft_term|ID)":"\d+"/g, '"$1":"N"');
}

let etcd: ServerProcess;
let ours: ServerProcess;
before(async () => {
  [etcd, ours] = await Promise.all([startServer({ target: 'etcd', name: 'bad-json-etcd' }), startServer({ target: 'etcd-ts', name: 'bad-json-ts' })]);
});
after(async () => {
  await Promise.all([etcd?.stop(), ours?.stop()]);
});

const TABLES: Readonly<Record<string, readonly Row[]>> = {
  'syntax errors and top-level types': SYNTAX_ROWS,
  'bytes fields': BYTES_ROWS,
  'integers, bools, strings and enums': SCALAR_ROWS,
  'nested messages, repeated fields and oneofs': NESTED_ROWS,
  'well-formed requests the server refuses': REQUEST_ROWS,
};

for (const [name, rows] of Object.entries(TABLES)) {
  test(`${name}: etcd-ts refuses each body with etcd's status and body`, async () => {
    for (const server of [etcd, ours]) {
      for (const row of rows) {
        const label = `${server.target} ${row.path} ${JSON.stringify(row.body.toString().slice(0, 200))}`;
        assert.deepEqual(await post(server, row.path, row.body), { status: row.status, body: errorBody(row.error, row.code ?? 3) }, label);
      }
    }
  });
}

test('bodies etcd accepts (nulls, unknown fields, duplicate keys, numbers in strings, arrays as bytes) get the same answers', async () => {
  for (const step of ACCEPTED) {
    const expected = await post(etcd, step.path, step.body);
    const actual = await post(ours, step.path, step.body);
    assert.equal(normalized(actual.body), normalized(expected.body), `${step.path} ${step.body}`);
    assert.equal(actual.status, expected.status, `${step.path} ${step.body}`);
  }
});

test('a null inside a repeated message field drops the connection unanswered (etcd panics), and the server keeps serving', async () => {
  for (const server of [etcd, ours]) {
    await assert.rejects(post(server, '/v3/kv/txn', '{"compare":[null]}'), (error: Error) => error.name === 'TypeError', server.target);
    assert.equal((await post(server, '/v3/kv/range', '{"key":"YQ=="}')).status, 200, server.target);
  }
});

/** Reads a streaming answer for a short while: its status and the lines it sent. */
async function stream(server: ServerProcess, path: string, body: string): Promise<{ status: number; lines: string[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), STREAM_READ_TIMEOUT_MS);
  let text = '';
  let status = 0;
  try {
    const response = await fetch(`${server.clientUrl}${path}`, { method: 'POST', body, signal: controller.signal });
    status = response.status;
    assert.ok(response.body);
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      if (text.includes('\n') || status !== 200) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return { status, lines: text.split('\n').filter((line) => line !== '').map(normalized) };
}

test('watch and keep-alive streams: a bad first request fails the call (500, code 2); a bad later one only ends the requests', async () => {
  const created = '{"result":{"header":{"cluster_id":"N","member_id":"N","revision":"1","raft_term":"N"},"created":true}}';
  const cases = [
    { path: '/v3/watch', body: '{"create_request":{"key":"Y"}}', want: { status: 500, lines: [errorBody('illegal base64 data at input byte 0', 2)] } },
    { path: '/v3/watch', body: '[]', want: { status: 500, lines: [errorBody(typeErr('array', MAP), 2)] } },
    {
      path: '/v3/watch',
      body: '{"create_request":{"key":"YQ==","filters":["BOGUS"]}}',
      want: { status: 500, lines: [errorBody('unknown value "BOGUS" for enum etcdserverpb.WatchCreateRequest_FilterType', 2)] },
    },
    { path: '/v3/watch', body: '{"create_request":{"key":"YQ=="}} x', want: { status: 200, lines: [created] } },
    { path: '/v3/lease/keepalive', body: '{"ID":"x"}', want: { status: 500, lines: [errorBody("invalid character 'x' looking for beginning of value", 2)] } },
  ];
  for (const server of [etcd, ours]) {
    for (const { path, body, want } of cases) {
      const answer = await stream(server, path, body);
      // Revisions differ once the other tests have written; the watch header's revision is not the point here.
      assert.deepEqual({ ...answer, lines: answer.lines.map((line) => line.replace(/"revision":"\d+"/, '"revision":"1"')) }, want, `${server.target} ${path} ${body}`);
    }
  }
});

/**
 * Pause between pieces. Generous on purpose: with 50 ms, on a loaded CI machine, etcd once
 * answered only the first of two keep-alives; the bad value that ends the stream had come
 * before the second answer was out.
 */
const PIECE_GAP_MS = 150;

/** Sends a stream body in pieces with pauses (each its own chunk on the wire); resolves with the status and lines. */
function streamInPieces(server: ServerProcess, path: string, pieces: readonly string[]): Promise<{ status: number; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.clientUrl);
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'POST', timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (data: string) => {
        text += data;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, lines: text.split('\n').filter((line) => line !== '').map(normalized) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('stream timed out')));
    void (async () => {
      for (const piece of pieces) {
        req.write(piece);
        await sleep(PIECE_GAP_MS);
      }
      req.end();
    })();
  });
}

test('a keep-alive stream cut anywhere is read value by value as etcd reads it, up to its first bad value', async () => {
  const keptAlive = '{"result":{"header":{"cluster_id":"N","member_id":"N","revision":"1","raft_term":"N"},"ID":"N"}}';
  const cases = [
    // The trailing 34 is a number where a request goes: the stream just stops reading there.
    { pieces: ['{"I', 'D":1', '} {"ID"', ':2}  ', '3', '4 '], want: { status: 200, lines: [keptAlive, keptAlive] } },
    { pieces: ['{"I', 'D":1', '} {"ID"', ':"x"}'], want: { status: 200, lines: [keptAlive] } },
    { pieces: ['  ', '{"ID":', '"x"}'], want: { status: 500, lines: [errorBody("invalid character 'x' looking for beginning of value", 2)] } },
  ];
  for (const server of [etcd, ours]) {
    for (const { pieces, want } of cases) {
      const answer = await streamInPieces(server, '/v3/lease/keepalive', pieces);
      const lines = answer.lines.map((line) => line.replace(/"revision":"\d+"/, '"revision":"1"'));
      assert.deepEqual({ status: answer.status, lines }, want, `${server.target} ${pieces.join('|')}`);
    }
  }
});
