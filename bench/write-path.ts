// The write path without the network: an embedded etcd-ts (real WAL, real LMDB
// backend, temp data dir) takes puts or txns straight from N in-process callers,
// and the process's CPU per operation is printed. Without HTTP/2 and a load
// generator sharing the machine, this number moves only with the server core's
// own cost (propose, raft, WAL, apply, MVCC, backend), so it is the one to watch
// when changing those; `npm run bench -- compare` gives the end-to-end picture.
// Usage: node dist/bench/write-path.js [--op put|txn] [--callers 64] [--ops 30000] [--rounds 3]
import { startServer } from '../src/embed/start-server.js';
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  TxnRequest,
  type PutRequest,
} from '../src/generated/etcdserverpb/rpc.js';
import type { EtcdServer } from '../src/server/etcd-server.js';
import { numberFlag } from './flag-number.js';

const VALUE_BYTES = 256;
const KEY_SPACE = 10_000;
const OPS_MAX = 10_000_000;
const CALLERS_MAX = 10_000;
const ROUNDS_MAX = 100;

type Op = 'put' | 'txn';


function operation(): Op {
  const index = process.argv.indexOf('--op');
  const value = index >= 0 ? process.argv[index + 1] : 'put';
  if (value !== 'put' && value !== 'txn') throw new Error('--op must be put or txn');
  return value;
}

function putOf(i: number, value: Buffer): PutRequest {
  return { key: Buffer.from(`key/${i % KEY_SPACE}`), value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
}

/** The bench's txn-16 shape: if the key's version > 0 then put it, else put it. */
function txnOf(i: number, value: Buffer): TxnRequest {
  const put = putOf(i, value);
  const request = { request: { $case: 'requestPut' as const, value: put } };
  return TxnRequest.fromPartial({
    compare: [{ key: put.key, result: Compare_CompareResult.GREATER, target: Compare_CompareTarget.VERSION, targetUnion: { $case: 'version', value: 0n } }],
    success: [request],
    failure: [request],
  });
}

/** Runs `ops` operations from `callers` callers, each waiting for its previous one. */
async function drive(server: EtcdServer, op: Op, callers: number, ops: number): Promise<void> {
  const value = Buffer.alloc(VALUE_BYTES, 0x61);
  let next = 0;
  const caller = async (): Promise<void> => {
    // Each turn takes one operation number; `ops` bounds the loop.
    while (next < ops) {
      const i = next++;
      if (op === 'put') await server.put(putOf(i, value));
      else await server.txn(txnOf(i, value));
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
}

async function round(op: Op, callers: number, ops: number): Promise<string> {
  const running = await startServer({ dataDir: 'temp' });
  try {
    await drive(running.server, op, callers, ops);
    const cpuBefore = process.cpuUsage();
    const startedMs = performance.now();
    await drive(running.server, op, callers, ops);
    const seconds = (performance.now() - startedMs) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const wal = running.server.metricsSnapshot().walStats;
    const cpuPerOpUs = (cpu.user + cpu.system) / ops;
    return `${op} x${callers}: ${Math.round(ops / seconds).toLocaleString('en-US')}/s, ` +
      `cpu ${cpuPerOpUs.toFixed(1)} us/op (user ${(cpu.user / ops).toFixed(1)}, system ${(cpu.system / ops).toFixed(1)}), ` +
      `wal writes ${wal?.fsyncs ?? 0} (both passes)`;
  } finally {
    await running.close();
  }
}

const op = operation();
const callers = numberFlag('callers', 64, { integer: true, max: CALLERS_MAX });
const ops = numberFlag('ops', 30_000, { integer: true, max: OPS_MAX });
const rounds = numberFlag('rounds', 3, { integer: true, max: ROUNDS_MAX });
console.log(`write path in process: ${ops} ${op}s after as many to warm up, ${callers} callers, ${VALUE_BYTES}-byte values, fresh data dir per round`);
for (let r = 1; r <= rounds; r++) console.log(`round ${r}: ${await round(op, callers, ops)}`);
