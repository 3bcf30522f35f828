// Shared pieces of the h2server tests: a server's port and memory, its /metrics
// counters and bounded waits.
import { readFileSync } from 'node:fs';
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
