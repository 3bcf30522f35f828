// Shared pieces of the h2server tests: a server's port and memory, its /metrics
// counters, bounded waits, and a loopback proxy that decodes what a real gRPC client
// sends (to prove a compressing client really compressed).
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FrameReader, FrameType } from '../../../src/api/http2/frame-reader.js';
import { HpackDecoder } from '../../../src/api/http2/hpack-decoder.js';
import type { ServerProcess } from '../../support/server-process.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const enc = (text: string): Buffer => Buffer.from(text, 'utf8');

export function portOf(server: ServerProcess): number {
  return Number(server.endpoint.split(':')[1]);
}

/** Resident memory of a process, bytes: all of it (VmRSS), or only the anonymous part (RssAnon: no file mappings such as lmdb's). */
export function rssBytes(pid: number, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Milliseconds a promise takes, with its value. */
export async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
}

/** Polls `check` every `everyMs` until it holds; throws after `timeoutMs`. */
export async function pollUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Bounded by the deadline.
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The sum of a metric's samples whose labels include every pair given (0 when none). */
export async function metricSum(server: { readonly clientUrl: string }, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const response = await fetch(`${server.clientUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const PREFACE_BYTES = 24;
/** The proxy reads frames up to the wire maximum (a client obeys the server's 16 KiB anyway). */
const SNIFF_FRAME_BYTES_MAX = 2 ** 24 - 1;
const SNIFF_HEADER_TABLE_BYTES = 4096;

/** What a client sent through the proxy, per connection merged. */
export interface SniffedRequests {
  /** Request streams whose first message had the compressed flag set. */
  compressedMessages: number;
  /** Request streams whose first message was not compressed. */
  plainMessages: number;
  /** grpc-encoding values seen in request header blocks. */
  readonly encodings: Set<string>;
}

export interface SniffingProxy {
  readonly port: number;
  readonly seen: SniffedRequests;
  close(): Promise<void>;
}

/** A TCP proxy to 127.0.0.1:targetPort that decodes the client's side of each HTTP/2 connection. */
export async function sniffingProxy(targetPort: number): Promise<SniffingProxy> {
  const seen: SniffedRequests = { compressedMessages: 0, plainMessages: 0, encodings: new Set() };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const inspect = clientStreamInspector(seen);
    client.on('data', (chunk: Buffer) => {
      inspect(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    seen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function clientStreamInspector(seen: SniffedRequests): (chunk: Buffer) => void {
  const reader = new FrameReader(SNIFF_FRAME_BYTES_MAX);
  const decoder = new HpackDecoder(SNIFF_HEADER_TABLE_BYTES);
  const firstDataSeen = new Set<number>();
  let preface = 0;
  let block: Buffer[] = [];
  return (chunk) => {
    let bytes = chunk;
    if (preface < PREFACE_BYTES) {
      const take = Math.min(PREFACE_BYTES - preface, bytes.length);
      preface += take;
      bytes = bytes.subarray(take);
    }
    for (const frame of reader.push(bytes)) {
      if (frame.type === FrameType.headers || frame.type === FrameType.continuation) {
        block.push(frame.type === FrameType.headers ? headersFragment(frame.flags, frame.payload) : frame.payload);
        if ((frame.flags & 0x4) === 0) continue;
        for (const field of decoder.decode(Buffer.concat(block))) if (field.name === 'grpc-encoding') seen.encodings.add(field.value);
        block = [];
      } else if (frame.type === FrameType.data && frame.payload.length > 0 && !firstDataSeen.has(frame.streamId)) {
        firstDataSeen.add(frame.streamId);
        if (frame.payload[0] === 1) seen.compressedMessages++;
        else seen.plainMessages++;
      }
    }
  };
}

/** A HEADERS payload without its padding and priority fields. */
function headersFragment(flags: number, payload: Buffer): Buffer {
  const padded = (flags & 0x8) !== 0;
  const padBytes = padded ? payload[0] ?? 0 : 0;
  const start = (padded ? 1 : 0) + ((flags & 0x20) !== 0 ? 5 : 0);
  return payload.subarray(start, payload.length - padBytes);
}
