// The two clients of the flood scenario, each on its own thread so neither one's event
// loop delays the other's replies (or the RSS sampling on the main thread):
// 'flood': K connections opening unary Put and Range calls as fast as the server lets them,
//   never reading a reply (their streams advertise a receive window of 0 bytes);
// 'polite': one connection calling Put and Range in turn, one at a time, timing each.
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { parentPort, workerData } from 'node:worker_threads';
import { KVService, PutRequest, RangeRequest } from '../src/generated/etcdserverpb/rpc.js';
import { framed } from './grpc-frames.js';
import { Http2Connection } from './http2-connection.js';
import { CALL_TIMEOUT_MS } from './load-connection.js';

/** Streams opened per connection per turn of the event loop. */
const STREAMS_PER_TURN = 64;
/** Frames the client lets queue unsent before it waits: it sends as fast as the server reads, no faster. */
const OUTBOUND_FRAMES_MAX = 512;
/** The client's own session memory limit, so the client is never the one refusing streams. */
const CLIENT_SESSION_MEMORY_MB = 4096;
/** As if the server had said so; the real SETTINGS override it when the server sends one. */
const PEER_STREAMS_ASSUMED = 2 ** 31 - 1;
const BLOCKED_RETRY_MS = 5;
const PUT_KEYS = 1000;
const PUT_VALUE = Buffer.alloc(64, 'f');
const POLITE_KEY = Buffer.from('scale/polite');
/** A polite call that takes longer than the server's own deadline plus this counts as failed. */
const POLITE_GRACE_MS = 2000;
const GRPC_RESOURCE_EXHAUSTED = '8';

export interface FloodWorkerData {
  readonly role: 'flood' | 'polite';
  readonly endpoint: string;
  readonly durationMs: number;
  readonly connections: number;
  /** The flood's Range reads [rangeKey, rangeEnd): a fixed number of keys, so each costs the server the same. */
  readonly rangeKey: string;
  readonly rangeEnd: string;
  readonly streamsPerConnectionMax: number;
}

export interface FloodTally {
  opened: number;
  answered: number;
  /** Answered at once with RESOURCE_EXHAUSTED (etcd-ts's back-pressure). */
  refused: number;
  reset: number;
  sessionsLost: number;
}

export interface PoliteTally {
  readonly latenciesMs: number[];
  readonly errors: number;
}

interface FloodRequest {
  readonly path: string;
  readonly body: (i: number) => Buffer;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One flooding connection; reconnects when the server drops it, until stopped. */
class FloodConnection {
  private session: ClientHttp2Session | null = null;
  private open = 0;
  private index = 0;
  private running = true;

  constructor(
    private readonly endpoint: string,
    private readonly streamsMax: number,
    private readonly requests: readonly FloodRequest[],
    private readonly tally: FloodTally,
  ) {
    this.connect();
  }

  stop(): void {
    this.running = false;
    this.session?.destroy();
  }

  private connect(): void {
    const session = connect(`http://${this.endpoint}`, {
      settings: { initialWindowSize: 0, enablePush: false },
      maxSessionMemory: CLIENT_SESSION_MEMORY_MB,
      peerMaxConcurrentStreams: PEER_STREAMS_ASSUMED,
    });
    this.session = session;
    this.open = 0;
    session.on('error', () => undefined);
    session.once('close', () => {
      if (!this.running) return;
      this.tally.sessionsLost++;
      setTimeout(() => this.running && this.connect(), BLOCKED_RETRY_MS);
    });
    session.once('connect', () => this.pump(session));
  }

  private pump(session: ClientHttp2Session): void {
    if (!this.running || session.destroyed || session.closed || this.session !== session) return;
    let sent = 0;
    while (sent < STREAMS_PER_TURN && this.open < this.streamsMax && this.openOne(session)) sent++;
    const blocked = sent < STREAMS_PER_TURN || (session.state.outboundQueueSize ?? 0) > OUTBOUND_FRAMES_MAX;
    if (blocked) setTimeout(() => this.pump(session), BLOCKED_RETRY_MS);
    else setImmediate(() => this.pump(session));
  }

  private openOne(session: ClientHttp2Session): boolean {
    const request = this.requests[this.index % this.requests.length];
    if (request === undefined) return false;
    let stream;
    try {
      stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: request.path,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        te: 'trailers',
      });
    } catch {
      return false;
    }
    this.index++;
    this.open++;
    this.tally.opened++;
    stream.on('error', () => undefined);
    stream.once('response', (headers) => {
      if (headers['grpc-status'] === GRPC_RESOURCE_EXHAUSTED) this.tally.refused++;
      else this.tally.answered++;
    });
    stream.once('close', () => {
      if (this.session === session) this.open--;
      if (stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR) this.tally.reset++;
    });
    stream.end(framed(request.body(this.index)));
    return true;
  }
}

function floodRequests(rangeKey: string, rangeEnd: string): FloodRequest[] {
  const range = KVService.range.requestSerialize(RangeRequest.fromPartial({ key: Buffer.from(rangeKey), rangeEnd: Buffer.from(rangeEnd) }));
  const put = (i: number): Buffer => KVService.put.requestSerialize(PutRequest.fromPartial({ key: Buffer.from(`scale/flood/${i % PUT_KEYS}`), value: PUT_VALUE }));
  return [{ path: KVService.range.path, body: () => range }, { path: KVService.put.path, body: put }];
}

async function flood(data: FloodWorkerData): Promise<FloodTally> {
  const tally: FloodTally = { opened: 0, answered: 0, refused: 0, reset: 0, sessionsLost: 0 };
  const requests = floodRequests(data.rangeKey, data.rangeEnd);
  const connections = Array.from({ length: data.connections }, () => new FloodConnection(data.endpoint, data.streamsPerConnectionMax, requests, tally));
  await sleep(data.durationMs);
  for (const connection of connections) connection.stop();
  return tally;
}

async function polite(data: FloodWorkerData): Promise<PoliteTally> {
  const connection = new Http2Connection(data.endpoint);
  await connection.waitReady();
  const latenciesMs: number[] = [];
  let errors = 0;
  const put = KVService.put.requestSerialize(PutRequest.fromPartial({ key: POLITE_KEY, value: Buffer.from('polite') }));
  const range = KVService.range.requestSerialize(RangeRequest.fromPartial({ key: POLITE_KEY }));
  const endAt = Date.now() + data.durationMs;
  // Bounded by the flood's duration.
  for (let i = 0; Date.now() < endAt; i++) {
    const started = performance.now();
    const call = i % 2 === 0 ? connection.call(KVService.put.path, put) : connection.call(KVService.range.path, range);
    const outcome = await Promise.race([call, sleep(CALL_TIMEOUT_MS + POLITE_GRACE_MS).then(() => 'CLIENT_TIMEOUT')]);
    latenciesMs.push(performance.now() - started);
    if (outcome !== 'OK') errors++;
  }
  connection.close();
  return { latenciesMs, errors };
}

if (parentPort !== null) {
  const data = workerData as FloodWorkerData;
  const port = parentPort;
  const run = data.role === 'flood' ? flood(data) : polite(data);
  run.then((result) => port.postMessage(result), (error: unknown) => port.postMessage({ error: String(error) }));
}
