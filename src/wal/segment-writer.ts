// Appends framed records to the current segment with one durable write per batch,
// and cuts a new segment (from the file pipeline) once the current one is full.
// Every segment opens with a prologue: header, metadata, latest hard state.
import { constants as fsConstants, writeSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { HardState } from '../raft/types.js';
import type { FilePipeline, PreparedFile } from './file-pipeline.js';
import { FRAME_HEADER_BYTES, paddedFrameBytes, sealFrame } from './record-frame.js';
import { payloadBytes, RecordType, writePayload, type WalRecord } from './record-payloads.js';
import { segmentFileName, type SegmentName } from './segment-name.js';
import type { WalStatsRecorder } from './wal-stats.js';

/** A record with its payload size; the payload itself is written straight into its batch's frames. */
export interface EncodedRecord {
  readonly record: WalRecord;
  readonly payloadBytes: number;
}

export function encodeRecord(record: WalRecord): EncodedRecord {
  return { record, payloadBytes: payloadBytes(record) };
}

export function framedBytes(records: readonly EncodedRecord[]): number {
  let total = 0;
  for (const r of records) total += paddedFrameBytes(r.payloadBytes);
  return total;
}

export interface OpenSegment {
  readonly handle: FileHandle;
  readonly name: SegmentName;
  offsetBytes: number;
}

export interface WriterPosition {
  /** CRC of the last record written: the next segment header carries it. */
  lastCrc: number;
  nextWriteSeq: number;
  /** The last entry (or snapshot) index written: names the next segment. */
  lastIndex: number;
  lastHardState: HardState | null;
}

export interface WriterContext {
  readonly dir: string;
  readonly walId: bigint;
  readonly metadata: Uint8Array;
  readonly segmentSizeBytes: number;
  readonly pipeline: FilePipeline;
  readonly stats: WalStatsRecorder;
}

/** Largest batch written on the calling thread: one put or a few, where the write's cost is its latency. */
export const INLINE_WRITE_BYTES_MAX = 4 * 1024;
/**
 * Batches are written inline only while recent durable writes averaged under this. A slow disk
 * (a spinning one, a network volume) would otherwise stall the event loop for every write.
 */
export const INLINE_WRITE_RECENT_MS_MAX = 1;
/** Weight of the newest write in the running average of write times. */
const RECENT_WRITE_WEIGHT = 0.1;

export class SegmentWriter {
  /** Running average of durable write times, inline or not, in ms. */
  private recentWriteMs = 0;

  constructor(
    private readonly context: WriterContext,
    private current: OpenSegment,
    private readonly position: WriterPosition,
    /** Every segment on disk, oldest first; the last one is `current`. */
    readonly segments: SegmentName[],
  ) {}

  get currentSegment(): SegmentName {
    return this.current.name;
  }

  /**
   * The segment is open with O_DSYNC, so the write returns once the records are on
   * stable storage, as a write followed by fdatasync would: one trip to the thread
   * pool per batch instead of two (each trip cost about 100 us on a busy 2-core host).
   *
   * `inline`: the caller has nothing else for the event loop to do (one client write
   * in flight), so a small batch is written on this thread while the disk is fast.
   * That skips the hand-off to the thread pool and the wake-up back, about a third of
   * a lone put's write time here (docs/benchmarks.md, "Fifth session").
   */
  async writeBatch(records: readonly EncodedRecord[], inline = false): Promise<void> {
    if (this.current.offsetBytes >= this.context.segmentSizeBytes) await this.cut();
    const frames = frameRecords(records, this.position);
    const startMs = performance.now();
    if (inline && WRITES_ARE_SYNCED && frames.length <= INLINE_WRITE_BYTES_MAX && this.recentWriteMs < INLINE_WRITE_RECENT_MS_MAX) {
      writeFullyNow(this.current.handle.fd, frames, this.current.offsetBytes);
    } else {
      await writeFully(this.current.handle, frames, this.current.offsetBytes);
      if (!WRITES_ARE_SYNCED) await this.current.handle.datasync();
    }
    const tookMs = performance.now() - startMs;
    this.recentWriteMs += (tookMs - this.recentWriteMs) * RECENT_WRITE_WEIGHT;
    this.context.stats.recordFsync(tookMs / 1000);
    this.current.offsetBytes += frames.length;
    this.context.stats.recordWrite(frames.length);
  }

  async close(): Promise<void> {
    await this.current.handle.close();
  }

  private async cut(): Promise<void> {
    const { dir, walId, metadata } = this.context;
    const prepared = await this.context.pipeline.take();
    const seq = this.current.name.seq + 1;
    const firstIndex = this.position.lastIndex + 1;
    const name: SegmentName = { seq, firstIndex, fileName: segmentFileName(seq, firstIndex) };
    // The preallocated space after the last record is not needed in a finished segment.
    await this.current.handle.truncate(this.current.offsetBytes);
    await this.current.handle.close();
    const prologue = prologueRecords(
      { walId, seq, firstIndex, prevCrc: this.position.lastCrc },
      metadata,
      this.position.lastHardState,
    );
    this.current = await installSegment(dir, prepared, name, prologue, this.position, this.context.stats);
    this.segments.push(name);
  }
}

export function prologueRecords(
  header: { walId: bigint; seq: number; firstIndex: number; prevCrc: number },
  metadata: Uint8Array,
  hardState: HardState | null,
): EncodedRecord[] {
  const records = [
    encodeRecord({ type: RecordType.SegmentHeader, header }),
    encodeRecord({ type: RecordType.Metadata, metadata }),
  ];
  if (hardState !== null) records.push(encodeRecord({ type: RecordType.HardState, hardState }));
  return records;
}

/** Writes a prologue into a prepared file, syncs it, then gives it its segment name durably. */
export async function installSegment(
  dir: string,
  prepared: PreparedFile,
  name: SegmentName,
  prologue: readonly EncodedRecord[],
  position: WriterPosition,
  stats: WalStatsRecorder,
): Promise<OpenSegment> {
  const frames = frameRecords(prologue, position);
  const path = join(dir, name.fileName);
  try {
    await writeFully(prepared.handle, frames, 0);
    stats.recordWrite(frames.length);
    await timedDatasync(prepared.handle, stats);
    await rename(prepared.path, path);
    await syncDirectory(dir);
  } finally {
    await prepared.handle.close();
  }
  return { handle: await openForAppend(path), name, offsetBytes: frames.length };
}

/** Platforms without O_DSYNC (Windows) get a write followed by fdatasync instead. */
const WRITES_ARE_SYNCED = typeof fsConstants.O_DSYNC === 'number';

/** Opens a segment for appending records: every write is durable when it returns (see writeBatch). */
export function openForAppend(path: string): Promise<FileHandle> {
  return open(path, WRITES_ARE_SYNCED ? fsConstants.O_RDWR | fsConstants.O_DSYNC : fsConstants.O_RDWR);
}

function frameRecords(records: readonly EncodedRecord[], position: WriterPosition): Uint8Array {
  const frames = Buffer.allocUnsafe(framedBytes(records));
  const view = new DataView(frames.buffer, frames.byteOffset, frames.byteLength);
  const writeSeq = position.nextWriteSeq;
  position.nextWriteSeq = (writeSeq + 1) >>> 0;
  let offset = 0;
  for (const { record, payloadBytes: bytes } of records) {
    writePayload(record, frames, view, offset + FRAME_HEADER_BYTES);
    position.lastCrc = sealFrame(frames, view, offset, record.type, writeSeq, bytes);
    offset += paddedFrameBytes(bytes);
    if (record.type === RecordType.Entry) position.lastIndex = record.entry.index;
    if (record.type === RecordType.Snapshot) position.lastIndex = Math.max(position.lastIndex, record.snapshot.index);
    if (record.type === RecordType.HardState) position.lastHardState = record.hardState;
  }
  return frames;
}

async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  // Each pass writes at least one byte or throws, so the length bounds the loop.
  for (let written = 0; written < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
    if (bytesWritten <= 0) throw new Error(`wal: write made no progress at byte ${position + written}`);
    written += bytesWritten;
  }
}

/** writeFully on the calling thread: the handle is O_DSYNC, so this blocks until the bytes are durable. */
function writeFullyNow(fd: number, bytes: Uint8Array, position: number): void {
  // Each pass writes at least one byte or throws, so the length bounds the loop.
  for (let written = 0; written < bytes.length; ) {
    const bytesWritten = writeSync(fd, bytes, written, bytes.length - written, position + written);
    if (bytesWritten <= 0) throw new Error(`wal: write made no progress at byte ${position + written}`);
    written += bytesWritten;
  }
}

async function timedDatasync(handle: FileHandle, stats: WalStatsRecorder): Promise<void> {
  const startMs = performance.now();
  await handle.datasync();
  stats.recordFsync((performance.now() - startMs) / 1000);
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
