// The write-ahead log: durable, ordered storage of raft's hard state, entries and
// snapshot markers in fixed-size segments, with group commit and crash repair.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry, HardState } from '../raft/types.js';
import { assert } from '../util/assert.js';
import { DirLock, isCode } from './dir-lock.js';
import { FilePipeline, PREPARED_SUFFIX } from './file-pipeline.js';
import { GroupCommitQueue } from './group-commit.js';
import { MAX_RECORD_PAYLOAD_BYTES } from './record-frame.js';
import { RecordType, type SnapshotMarker } from './record-payloads.js';
import { readWal, type WalTail } from './read-wal.js';
import { listSegments, segmentFileName, type SegmentName } from './segment-name.js';
import {
  encodeRecord,
  framedBytes,
  installSegment,
  openForAppend,
  prologueRecords,
  SegmentWriter,
  type EncodedRecord,
  type WriterPosition,
} from './segment-writer.js';
import { WalError } from './wal-errors.js';
import { WalStatsRecorder, type WalStats } from './wal-stats.js';

/** etcd's segment size (64 MB, decimal, as etcd's files): a new file is cut once a segment reaches it. */
export const SEGMENT_SIZE_BYTES = 64 * 1000 * 1000;
/** etcd's --max-wals default: old segment files kept; 0 keeps all. */
export const DEFAULT_MAX_WALS = 5;
export const MAX_QUEUED_SAVES = 4096;
export const MAX_QUEUED_SAVE_BYTES = 64 * 1024 * 1024;
export const MAX_WRITE_BATCH_BYTES = 16 * 1024 * 1024;
export const MAX_BLOCKED_SAVES = 65536;
const ZERO_CHUNK_BYTES = 1024 * 1024;

export interface WalOptions {
  readonly segmentSizeBytes?: number;
  readonly maxWals?: number;
}

export interface WalOpenOptions extends WalOptions {
  /** Replay starts after this marker; it must be in the log unless its index is 0. */
  readonly snapshot?: SnapshotMarker;
}

/** What open had to cut off the last segment's tail after a crash. */
export interface WalRepair {
  readonly file: string;
  readonly offsetBytes: number;
  readonly discardedBytes: number;
}

export interface WalOpenResult {
  readonly wal: Wal;
  readonly metadata: Uint8Array;
  readonly hardState: HardState | null;
  readonly entries: Entry[];
  readonly repair: WalRepair | null;
}

interface WalParts {
  readonly dir: string;
  readonly lock: DirLock;
  readonly pipeline: FilePipeline;
  readonly writer: SegmentWriter;
  readonly stats: WalStatsRecorder;
  readonly maxWals: number;
}

export class Wal {
  private readonly queue: GroupCommitQueue<readonly EncodedRecord[]>;
  private releasedSegments = 0;
  private closing: Promise<void> | null = null;

  private constructor(private readonly parts: WalParts) {
    this.queue = new GroupCommitQueue((batch, inline) => parts.writer.writeBatch(batch.flat(), inline), {
      maxQueuedItems: MAX_QUEUED_SAVES,
      maxQueuedBytes: MAX_QUEUED_SAVE_BYTES,
      maxBatchBytes: MAX_WRITE_BATCH_BYTES,
      maxBlockedItems: MAX_BLOCKED_SAVES,
    });
  }

  /** Creates a new WAL in `dir` (made if missing); refuses if segments already exist there. */
  static async create(dir: string, metadata: Uint8Array, options: WalOptions = {}): Promise<Wal> {
    const segmentSizeBytes = checkedSegmentSize(options);
    await mkdir(dir, { recursive: true });
    const lock = await DirLock.acquire(dir);
    const pipeline = new FilePipeline(dir, segmentSizeBytes);
    try {
      if ((await listSegments(dir)).length > 0) throw new WalError('WalExists', `wal: ${dir} already holds a WAL`);
      await removePreparedFiles(dir);
      const walId = randomBytes(8).readBigUInt64LE();
      const stats = new WalStatsRecorder();
      const position: WriterPosition = { lastCrc: 0, nextWriteSeq: 0, lastIndex: 0, lastHardState: null };
      const name: SegmentName = { seq: 0, firstIndex: 0, fileName: segmentFileName(0, 0) };
      const prologue = [
        ...prologueRecords({ walId, seq: 0, firstIndex: 0, prevCrc: 0 }, metadata, null),
        encodeRecord({ type: RecordType.Snapshot, snapshot: { index: 0, term: 0 } }),
      ];
      const current = await installSegment(dir, await pipeline.take(), name, prologue, position, stats);
      const context = { dir, walId, metadata, segmentSizeBytes, pipeline, stats };
      const writer = new SegmentWriter(context, current, position, [name]);
      return new Wal({ dir, lock, pipeline, writer, stats, maxWals: options.maxWals ?? DEFAULT_MAX_WALS });
    } catch (error) {
      await pipeline.close();
      await lock.release();
      throw error;
    }
  }

  /** Opens an existing WAL, repairs a torn tail, and returns everything after the snapshot. */
  static async open(dir: string, options: WalOpenOptions = {}): Promise<WalOpenResult> {
    const segmentSizeBytes = checkedSegmentSize(options);
    const lock = await acquireExisting(dir);
    const pipeline = new FilePipeline(dir, segmentSizeBytes);
    try {
      const read = await readWal(dir, options.snapshot ?? { index: 0, term: 0 });
      const repair = await repairTail(dir, read.tail);
      await removePreparedFiles(dir);
      pipeline.start();
      const handle = await openForAppend(join(dir, read.tail.name.fileName));
      const stats = new WalStatsRecorder();
      const position: WriterPosition = {
        lastCrc: read.tail.lastCrc,
        nextWriteSeq: (read.tail.lastWriteSeq + 1) >>> 0,
        lastIndex: read.lastIndex,
        lastHardState: read.hardState,
      };
      const current = { handle, name: read.tail.name, offsetBytes: read.tail.scan.endOffsetBytes };
      const context = { dir, walId: read.walId, metadata: read.metadata, segmentSizeBytes, pipeline, stats };
      const writer = new SegmentWriter(context, current, position, read.segments);
      const wal = new Wal({ dir, lock, pipeline, writer, stats, maxWals: options.maxWals ?? DEFAULT_MAX_WALS });
      return { wal, metadata: read.metadata, hardState: read.hardState, entries: read.entries, repair };
    } catch (error) {
      await pipeline.close();
      await lock.release();
      throw error;
    }
  }

  /**
   * Resolves once the hard state and entries are on disk (written through the segment's O_DSYNC handle).
   * `inline`: the caller has nothing else for the event loop to do meanwhile, so a small write may
   * block it rather than go through the thread pool (see SegmentWriter.writeBatch).
   */
  save(hardState: HardState | null, entries: readonly Entry[], inline = false): Promise<void> {
    // Nothing to write, but the caller may rely on earlier saves being durable.
    if (hardState === null && entries.length === 0) return this.afterEarlierSaves();
    const records: EncodedRecord[] = [];
    for (const entry of entries) {
      assert(entry.data.length < MAX_RECORD_PAYLOAD_BYTES, 'entry larger than the request size limit allows');
      records.push(encodeRecord({ type: RecordType.Entry, entry }));
    }
    // Entries first: a hard state must never commit an index the log does not hold.
    if (hardState !== null) records.push(encodeRecord({ type: RecordType.HardState, hardState }));
    return this.submit(records, inline);
  }

  saveSnapshot(marker: SnapshotMarker): Promise<void> {
    return this.submit([encodeRecord({ type: RecordType.Snapshot, snapshot: marker })]);
  }

  /**
   * Lets go of segments holding only entries below `index`, then deletes the oldest
   * let-go segments while more than maxWals segment files remain. Returns how many went.
   */
  async releaseBefore(index: number): Promise<number> {
    const segments = this.parts.writer.segments;
    let releasable = 0;
    // A segment's entries all precede the next segment's first index; the current segment stays.
    while (releasable + 1 < segments.length && (segments[releasable + 1]?.firstIndex ?? Infinity) <= index) {
      releasable++;
    }
    this.releasedSegments = Math.max(this.releasedSegments, releasable);
    if (this.parts.maxWals === 0 || this.closing !== null) return 0;
    const removeCount = Math.min(this.releasedSegments, segments.length - this.parts.maxWals);
    if (removeCount <= 0) return 0;
    const victims = segments.splice(0, removeCount);
    this.releasedSegments -= removeCount;
    for (const victim of victims) await unlink(join(this.parts.dir, victim.fileName));
    return victims.length;
  }

  /** Flushes queued saves, syncs, closes files and unlocks. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  get stats(): WalStats {
    return this.parts.stats.snapshot();
  }

  /** The segment currently appended to (for diagnostics and tests). */
  get currentSegmentFile(): string {
    return this.parts.writer.currentSegment.fileName;
  }

  private submit(records: EncodedRecord[], inline = false): Promise<void> {
    if (this.closing !== null) return Promise.reject(new WalError('WalClosed', 'wal: closed'));
    this.parts.stats.recordSave();
    return this.queue.submit(records, framedBytes(records), inline);
  }

  private async afterEarlierSaves(): Promise<void> {
    await this.queue.drain();
    if (this.queue.failed !== null) throw this.queue.failed;
  }

  private async shutdown(): Promise<void> {
    await this.queue.drain();
    await this.parts.writer.close();
    await this.parts.pipeline.close();
    await this.parts.lock.release();
  }
}

/** Options come from configuration validated at start-up, so a bad value here is a bug. */
function checkedSegmentSize(options: WalOptions): number {
  const size = options.segmentSizeBytes ?? SEGMENT_SIZE_BYTES;
  assert(Number.isSafeInteger(size) && size >= 4096, 'segmentSizeBytes must be an integer of at least 4096');
  const maxWals = options.maxWals ?? DEFAULT_MAX_WALS;
  assert(Number.isSafeInteger(maxWals) && maxWals >= 0, 'maxWals must be a non-negative integer');
  return size;
}

async function acquireExisting(dir: string): Promise<DirLock> {
  try {
    return await DirLock.acquire(dir);
  } catch (error) {
    if (isCode(error, 'ENOENT')) throw new WalError('WalNotFound', `wal: ${dir} does not exist`);
    throw error;
  }
}

/** Zeroes a torn tail so nothing after the last good record can ever be read again. */
async function repairTail(dir: string, tail: WalTail): Promise<WalRepair | null> {
  const { endOffsetBytes, dirtyEndBytes, torn } = tail.scan;
  if (!torn) return null;
  const handle = await open(join(dir, tail.name.fileName), 'r+');
  try {
    const zeros = new Uint8Array(Math.min(ZERO_CHUNK_BYTES, dirtyEndBytes - endOffsetBytes));
    // Each pass clears at least one byte; the damaged span bounds the loop.
    for (let at = endOffsetBytes; at < dirtyEndBytes; ) {
      const { bytesWritten } = await handle.write(zeros, 0, Math.min(zeros.length, dirtyEndBytes - at), at);
      if (bytesWritten <= 0) throw new Error(`wal: zeroing ${tail.name.fileName} made no progress at byte ${at}`);
      at += bytesWritten;
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return { file: tail.name.fileName, offsetBytes: endOffsetBytes, discardedBytes: dirtyEndBytes - endOffsetBytes };
}

async function removePreparedFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.endsWith(PREPARED_SUFFIX)) await unlink(join(dir, name));
  }
}
