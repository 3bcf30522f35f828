// Scale scenario "slow watcher": one watch stream that never reads (its receive window is
// 0 bytes) watches a prefix while E events are written to it; a reading watcher on the
// same prefix must still get every event, and the server's RSS must stay bounded.
import { connect, constants } from 'node:http2';
import { WatchRequest, WatchService } from '../src/generated/etcdserverpb/rpc.js';
import { framed } from './grpc-frames.js';
import { Http2Connection } from './http2-connection.js';
import { watchReply } from './proto-scan.js';
import { prefixEnd } from './request-factory.js';
import { putInTxns } from './scale-txn-writer.js';
import type { ServerMemory } from './scale-memory.js';

const WATCH_PREFIX = 'scale/w/';
const KEYS = 1000;
const PUTS_PER_TXN = 50;
const WRITE_CONNECTIONS = 2;
const TXNS_IN_FLIGHT_PER_CONNECTION = 8;
const DELIVERY_WAIT_MS = 60_000;
const POLL_MS = 100;
const SETTLE_MS = 1500;

export interface WatchOptions {
  readonly events: number;
  readonly valueBytes: number;
}

export interface WatchResult {
  readonly baseMb: number;
  readonly peakMb: number;
  readonly afterMb: number;
  readonly writeMs: number;
  readonly writeErrors: number;
  readonly delivered: number;
  readonly deliveryMs: number;
  /** The slow stream is still open on the server (etcd keeps it; neither should cut it). */
  readonly slowStreamOpen: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function createWatch(): Buffer {
  const prefix = Buffer.from(WATCH_PREFIX);
  return WatchService.watch.requestSerialize(WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', value: { key: prefix, rangeEnd: prefixEnd(prefix) } } }));
}

function writeEvents(endpoint: string, options: WatchOptions): Promise<number> {
  const shape = { connections: WRITE_CONNECTIONS, txnsInFlightPerConnection: TXNS_IN_FLIGHT_PER_CONNECTION, putsPerTxn: PUTS_PER_TXN };
  // A key may appear once per txn (etcd's duplicate-key rule); PUTS_PER_TXN < KEYS keeps them distinct.
  return putInTxns(endpoint, options.events, (i) => Buffer.from(`${WATCH_PREFIX}${i % KEYS}`), Buffer.alloc(options.valueBytes, 'w'), shape);
}

export async function slowWatchScenario(endpoint: string, memory: ServerMemory, options: WatchOptions): Promise<WatchResult> {
  const slowSession = connect(`http://${endpoint}`, { settings: { initialWindowSize: 0 } });
  slowSession.on('error', () => undefined);
  const slow = slowSession.request({
    [constants.HTTP2_HEADER_METHOD]: 'POST', [constants.HTTP2_HEADER_PATH]: WatchService.watch.path,
    [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc', te: 'trailers',
  });
  slow.on('error', () => undefined);
  slow.write(framed(createWatch()));
  const reader = new Http2Connection(endpoint);
  let delivered = 0;
  try {
    await reader.waitReady();
    const stream = reader.openStream(WatchService.watch.path, {
      onMessage: (message) => (delivered += watchReply(message).events.length),
      onEnd: () => undefined,
    });
    stream.send(createWatch());
    await sleep(SETTLE_MS);
    const baseMb = memory.rssMb();
    memory.resetPeak();
    const started = performance.now();
    const writeErrors = await writeEvents(endpoint, options);
    const writeMs = performance.now() - started;
    const expected = options.events - writeErrors * PUTS_PER_TXN;
    const deadline = Date.now() + DELIVERY_WAIT_MS;
    while (delivered < expected && Date.now() < deadline) await sleep(POLL_MS);
    const deliveryMs = performance.now() - started;
    const peakMb = memory.peakMb();
    const slowStreamOpen = !slow.closed && !slow.destroyed;
    stream.close();
    slow.close(constants.NGHTTP2_CANCEL);
    slowSession.destroy();
    await sleep(SETTLE_MS);
    return { baseMb, peakMb, afterMb: memory.rssMb(), writeMs, writeErrors, delivered, deliveryMs, slowStreamOpen };
  } finally {
    reader.close();
    slowSession.destroy();
  }
}
