// Shared test helpers for the WAL: temporary directories, entries with
// recognisable data, and a look at where records sit inside a segment file.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType, type Entry } from '../../src/raft/types.js';
import { scanSegment, type ScannedRecord } from '../../src/wal/segment-scan.js';

export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-wal-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Data derived from index and term, so a mixed-up entry shows in the comparison. */
export function makeEntry(index: number, term: number, dataBytes = 16): Entry {
  const data = new Uint8Array(dataBytes);
  for (let i = 0; i < dataBytes; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { index, term, type: EntryType.Normal, data };
}

export function makeEntries(firstIndex: number, count: number, term: number, dataBytes = 16): Entry[] {
  return Array.from({ length: count }, (_, i) => makeEntry(firstIndex + i, term, dataBytes));
}

export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.wal')).sort();
}

export async function lastSegmentFile(dir: string): Promise<string> {
  const files = await segmentFiles(dir);
  const last = files.at(-1);
  if (last === undefined) throw new Error(`no segments in ${dir}`);
  return last;
}

/** Where each record of a segment starts, as the WAL's own reader sees them. */
export async function recordsOf(dir: string, file: string): Promise<readonly ScannedRecord[]> {
  return scanSegment(await readFile(join(dir, file)), file, true).records;
}

export const METADATA = new TextEncoder().encode('member=8e9e05c52164694d cluster=cdf818194e3a8c32');

/** Keeps tests fast: each prepared segment is zero-filled to this size. */
export const SMALL_SEGMENTS = { segmentSizeBytes: 64 * 1024 } as const;
