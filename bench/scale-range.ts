// Scale scenario "large range": loads N keys through several connections (txns of many
// puts), then reads them all in one Range with limit N, and again in pages of 1,000
// following `more`, and reports how far the server's peak RSS rose above its baseline
// during each, next to the encoded size of the one big reply.
import { KVService, RangeRequest, RangeResponse } from '../src/generated/etcdserverpb/rpc.js';
import { Http2Connection } from './http2-connection.js';
import { prefixEnd } from './request-factory.js';
import { putInTxns } from './scale-txn-writer.js';
import type { ServerMemory } from './scale-memory.js';

export const SCALE_KEY_PREFIX = 'scale/k/';
/** etcd's default --max-txn-ops is 128. */
const PUTS_PER_TXN = 100;
const LOAD_CONNECTIONS = 4;
const TXNS_IN_FLIGHT_PER_CONNECTION = 4;
const PAGE_KEYS = 1000;
/** Lets the server's allocator and GC settle before a baseline is read. */
const SETTLE_MS = 1500;
const BYTES_PER_MB = 1024 * 1024;
const KEY_INDEX_DIGITS = 8;

export interface RangeOptions {
  readonly keys: number;
  readonly valueBytes: number;
  readonly rounds: number;
}

export interface RangeRound {
  readonly replyMb: number;
  readonly baseMb: number;
  readonly peakGrowthMb: number;
  /** Peak growth over the reply's encoded size. */
  readonly ratio: number;
  readonly ms: number;
}

export interface RangeResult {
  readonly loadMs: number;
  readonly loadErrors: number;
  readonly full: readonly RangeRound[];
  readonly paged: { readonly pages: number; readonly keys: number; readonly ms: number; readonly peakGrowthMb: number };
}

export const scaleKey = (index: number): string => SCALE_KEY_PREFIX + String(index).padStart(KEY_INDEX_DIGITS, '0');
const keyOf = (index: number): Buffer => Buffer.from(scaleKey(index));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Puts keys 0..count-1 under SCALE_KEY_PREFIX; returns failed txns (0 expected). */
export function loadKeys(endpoint: string, count: number, valueBytes: number): Promise<number> {
  const shape = { connections: LOAD_CONNECTIONS, txnsInFlightPerConnection: TXNS_IN_FLIGHT_PER_CONNECTION, putsPerTxn: PUTS_PER_TXN };
  return putInTxns(endpoint, count, keyOf, Buffer.alloc(valueBytes, 'v'), shape);
}

function rangePayload(from: Buffer, limit: number): Buffer {
  return KVService.range.requestSerialize(RangeRequest.fromPartial({ key: from, rangeEnd: prefixEnd(Buffer.from(SCALE_KEY_PREFIX)), limit: BigInt(limit) }));
}

async function fullRange(connection: Http2Connection, memory: ServerMemory, keys: number): Promise<RangeRound> {
  await sleep(SETTLE_MS);
  const baseMb = memory.rssMb();
  memory.resetPeak();
  const started = performance.now();
  const reply = await connection.callRaw(KVService.range.path, rangePayload(Buffer.from(SCALE_KEY_PREFIX), keys));
  const ms = performance.now() - started;
  const peakGrowthMb = memory.peakMb() - baseMb;
  const decoded = RangeResponse.decode(reply);
  if (decoded.kvs.length !== keys) throw new Error(`full range returned ${decoded.kvs.length} keys, expected ${keys}`);
  const replyMb = reply.length / BYTES_PER_MB;
  return { replyMb, baseMb, peakGrowthMb, ratio: peakGrowthMb / replyMb, ms };
}

async function pagedRange(connection: Http2Connection, memory: ServerMemory, keys: number): Promise<RangeResult['paged']> {
  await sleep(SETTLE_MS);
  const baseMb = memory.rssMb();
  memory.resetPeak();
  const started = performance.now();
  let from = Buffer.from(SCALE_KEY_PREFIX);
  let pages = 0;
  let seen = 0;
  // Each page moves `from` past its last key; the key count bounds the pages.
  for (let more = true; more && pages <= keys / PAGE_KEYS + 1; pages++) {
    const page = RangeResponse.decode(await connection.callRaw(KVService.range.path, rangePayload(from, PAGE_KEYS)));
    seen += page.kvs.length;
    more = page.more;
    const last = page.kvs[page.kvs.length - 1];
    if (last === undefined) break;
    from = Buffer.concat([last.key, Buffer.from([0])]);
  }
  return { pages, keys: seen, ms: performance.now() - started, peakGrowthMb: memory.peakMb() - baseMb };
}

export async function rangeScenario(endpoint: string, memory: ServerMemory, options: RangeOptions): Promise<RangeResult> {
  const loadStarted = performance.now();
  const loadErrors = await loadKeys(endpoint, options.keys, options.valueBytes);
  const loadMs = performance.now() - loadStarted;
  const connection = new Http2Connection(endpoint);
  try {
    await connection.waitReady();
    const full: RangeRound[] = [];
    for (let round = 0; round < options.rounds; round++) full.push(await fullRange(connection, memory, options.keys));
    const paged = await pagedRange(connection, memory, options.keys);
    return { loadMs, loadErrors, full, paged };
  } finally {
    connection.close();
  }
}
