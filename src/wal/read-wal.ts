// Reads a WAL directory at open: picks the segments that can hold entries after
// the snapshot, checks that they form one unbroken chain, and replays them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry, HardState } from '../raft/types.js';
import { LogAccumulator, type AccumulateProblem } from './log-accumulator.js';
import { RecordType, type SegmentHeader, type SnapshotMarker } from './record-payloads.js';
import { scanSegment, type SegmentScan } from './segment-scan.js';
import { listSegments, type SegmentName } from './segment-name.js';
import { WalCorruptError, WalError } from './wal-errors.js';

export interface WalTail {
  readonly name: SegmentName;
  readonly scan: SegmentScan;
  /** CRC of the last good record: the next segment's header repeats it. */
  readonly lastCrc: number;
  readonly lastWriteSeq: number;
}

export interface WalReadResult {
  readonly walId: bigint;
  readonly metadata: Uint8Array;
  readonly hardState: HardState | null;
  readonly entries: Entry[];
  readonly lastIndex: number;
  /** Every segment on disk, oldest first, including ones before the snapshot. */
  readonly segments: SegmentName[];
  readonly tail: WalTail;
}

export async function readWal(dir: string, snapshot: SnapshotMarker): Promise<WalReadResult> {
  const segments = await listSegments(dir);
  if (segments.length === 0) throw new WalError('WalNotFound', `wal: no segment files in ${dir}`);
  checkSequence(segments);
  const start = findLastIndex(segments, (s) => s.firstIndex <= snapshot.index);
  if (start < 0) {
    throw new WalError('WalSnapshotNotFound', `wal: no segment in ${dir} covers snapshot index ${snapshot.index}`);
  }
  const accumulator = new LogAccumulator(snapshot);
  let previous: { crc: number; walId: bigint } | null = null;
  let tail: WalTail | null = null;
  for (let i = start; i < segments.length; i++) {
    const name = segments[i];
    if (name === undefined) break;
    const scan = scanSegment(await readSegmentBytes(join(dir, name.fileName)), name.fileName, i === segments.length - 1);
    const header = checkHeader(name, scan, previous);
    replaySegment(name, scan, accumulator);
    const last = scan.records.at(-1);
    if (last === undefined) throw new WalCorruptError(name.fileName, 0, 'segment has no records');
    previous = { crc: last.crc, walId: header.walId };
    tail = { name, scan, lastCrc: last.crc, lastWriteSeq: last.writeSeq };
  }
  if (tail === null || previous === null) throw new WalError('WalNotFound', `wal: no readable segment in ${dir}`);
  const first = segments[start]?.fileName ?? '';
  if (!accumulator.snapshotFound) {
    throw new WalError('WalSnapshotNotFound', `wal: snapshot ${snapshot.index}/${snapshot.term} not found in ${dir}`);
  }
  if (accumulator.metadata === null) throw new WalCorruptError(first, 0, 'no metadata record');
  return {
    walId: previous.walId,
    metadata: accumulator.metadata,
    hardState: accumulator.hardState,
    entries: accumulator.entries,
    lastIndex: accumulator.lastIndex,
    segments,
    tail,
  };
}

/** A plain Uint8Array view, so the entry data cut from it are not Buffers. */
async function readSegmentBytes(path: string): Promise<Uint8Array> {
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function checkSequence(segments: readonly SegmentName[]): void {
  for (let i = 1; i < segments.length; i++) {
    const before = segments[i - 1];
    const after = segments[i];
    if (before !== undefined && after !== undefined && after.seq !== before.seq + 1) {
      throw new WalCorruptError(after.fileName, 0, `segment sequence jumps from ${before.seq} to ${after.seq}`);
    }
  }
}

/** The first record of a segment must name this WAL, this file and the previous file's last CRC. */
function checkHeader(name: SegmentName, scan: SegmentScan, previous: { crc: number; walId: bigint } | null): SegmentHeader {
  const first = scan.records[0]?.record;
  if (first?.type !== RecordType.SegmentHeader) {
    throw new WalCorruptError(name.fileName, 0, 'segment does not start with a segment header');
  }
  const header = first.header;
  if (header.seq !== name.seq || header.firstIndex !== name.firstIndex) {
    throw new WalCorruptError(name.fileName, 0, `segment header says ${header.seq}/${header.firstIndex}, not its file name`);
  }
  if (previous !== null && header.walId !== previous.walId) {
    throw new WalCorruptError(name.fileName, 0, 'segment belongs to a different WAL');
  }
  if (previous !== null && header.prevCrc !== previous.crc) {
    throw new WalCorruptError(name.fileName, 0, 'segment does not continue the previous segment (CRC chain broken)');
  }
  return header;
}

function replaySegment(name: SegmentName, scan: SegmentScan, accumulator: LogAccumulator): void {
  for (const scanned of scan.records) {
    const problem = accumulator.add(scanned.record);
    if (problem !== null) throw new WalCorruptError(name.fileName, scanned.offsetBytes, describe(problem));
  }
}

function describe(problem: AccumulateProblem): string {
  switch (problem.kind) {
    case 'metadata-conflict':
      return 'metadata differs from the first segment';
    case 'entry-gap':
      return `entry index ${problem.index} does not follow index ${problem.lastIndex}`;
  }
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item !== undefined && predicate(item)) return i;
  }
  return -1;
}
