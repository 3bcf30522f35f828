// Stored mvccpb.KeyValue records packed back to back as RangeResponse `kvs`
// entries (field tag, length, record), ready to be copied into a reply. A range
// copies each record once, straight from where the backend holds it, instead
// of into a Buffer of its own per key.
import { KeyValue } from '../generated/mvccpb/kv.js';
import type { InPlaceReader } from '../backend/backend.js';
import { assert } from '../util/assert.js';
import { PlainView } from '../util/plain-view.js';
import { varintBytes, writeVarint } from '../util/proto-field-writer.js';

/** RangeResponse field 2 (kvs), wire type 2 (length-delimited): (2 << 3) | 2. */
const KVS_FIELD_TAG = 0x12;
const KVS_FIELD_TAG_BYTES = 1;
const VARINT_PAYLOAD_BITS = 7;
const VARINT_PAYLOAD_MASK = 0x7f;
const VARINT_CONTINUE_BIT = 0x80;
/** A record length is a uint32: at most 5 varint bytes. */
const LENGTH_VARINT_BYTES_MAX = 5;
/** Records are packed into chunks of about this size (a record larger than it gets a chunk of its own). */
const CHUNK_BYTES = 64 * 1024;
/**
 * A first chunk guessed smaller than this comes from Node's buffer pool: small
 * ranges (point reads) do not take a whole chunk.
 */
const SMALL_CHUNK_BYTES_MAX = 4 * 1024;
/**
 * Sent replies hand their chunks back to this many at most (4 MiB): a steady load of
 * large ranges then allocates no new buffers, which V8 counts as external memory
 * and answers with full garbage collections.
 */
const POOLED_CHUNKS_MAX = 64;
/** How large the first chunk is guessed per expected record, before any range was seen. */
const ENTRY_BYTES_GUESS_INITIAL = 128;

/**
 * The average entry size of the last packed range: with it a range guesses how
 * much room its remaining records need, so a point read gets a buffer of about
 * its size and only a large range takes 64 KiB chunks.
 */
let entryBytesGuess = ENTRY_BYTES_GUESS_INITIAL;
/** Chunks of CHUNK_BYTES handed back by sent replies. */
const freeChunks: Buffer[] = [];

/** What the slices of one packing share. */
interface Packing {
  /** The packed bytes, in order; no entry spans two parts. */
  readonly parts: readonly Buffer[];
  /** Where each record's entry ends, as an offset into the concatenated parts. */
  readonly ends: readonly number[];
  /** The pooled chunks under `parts`, handed back by release(). */
  readonly pooled: readonly Buffer[];
  released: boolean;
}

/** Records `first` .. `end - 1` of a packing, as a read-only list. */
export class PackedRecords {
  constructor(
    private readonly packing: Packing,
    private readonly first: number,
    private readonly end: number,
  ) {
    assert(first >= 0 && first <= end && end <= packing.ends.length, 'packed records window out of range');
  }

  get length(): number {
    return this.end - this.first;
  }

  /** Bytes of the entries (tags and lengths included). */
  get byteLength(): number {
    return this.endOffset - this.startOffset;
  }

  /** Records start..end of this list (as Array.prototype.slice, without negative indexes). */
  slice(start: number, end: number = this.length): PackedRecords {
    const from = this.first + Math.min(Math.max(start, 0), this.length);
    const to = this.first + Math.min(Math.max(end, 0), this.length);
    return new PackedRecords(this.packing, from, Math.max(from, to));
  }

  /** Copies the entries into `out` at `offset`; returns the offset after them. */
  copyTo(out: Buffer, offset: number): number {
    let at = offset;
    this.forEachPart((part, from, to) => {
      at += part.copy(out, at, from, to);
    });
    return at;
  }

  /** The entries as views of the packing, in order, for writing out without a copy. */
  views(): Buffer[] {
    const views: Buffer[] = [];
    this.forEachPart((part, from, to) => views.push(part.subarray(from, to)));
    return views;
  }

  /**
   * The records decoded, in order. The decoded keys and values are views of the
   * packing, so a packing that was decoded must never be released.
   */
  decode(): KeyValue[] {
    const kvs: KeyValue[] = [];
    this.forEachPart((part, from, to) => {
      // Each pass consumes one whole entry, so the part's length bounds the loop.
      for (let at = from; at < to; ) {
        assert(part[at] === KVS_FIELD_TAG, 'packed record without its field tag');
        const { value: recordBytes, next } = readVarint(part, at + KVS_FIELD_TAG_BYTES);
        kvs.push(KeyValue.decode(part.subarray(next, next + recordBytes)));
        at = next + recordBytes;
      }
    });
    return kvs;
  }

  /**
   * Hands the packing's pooled chunks back for later ranges to fill. Only for the
   * last user of every slice of this packing, once the bytes were written out.
   */
  release(): void {
    if (this.packing.released) return;
    this.packing.released = true;
    for (const chunk of this.packing.pooled) if (freeChunks.length < POOLED_CHUNKS_MAX) freeChunks.push(chunk);
  }

  private get startOffset(): number {
    return this.first === 0 ? 0 : (this.packing.ends[this.first - 1] as number);
  }

  private get endOffset(): number {
    return this.end === 0 ? 0 : (this.packing.ends[this.end - 1] as number);
  }

  /** Calls `visit` with each part's bytes inside the window, in order. */
  private forEachPart(visit: (part: Buffer, from: number, to: number) => void): void {
    assert(!this.packing.released, 'packed records read after release');
    const start = this.startOffset;
    const end = this.endOffset;
    let partStart = 0;
    for (const part of this.packing.parts) {
      const partEnd = partStart + part.length;
      if (partEnd > start && partStart < end) visit(part, Math.max(start, partStart) - partStart, Math.min(end, partEnd) - partStart);
      if (partEnd >= end) break;
      partStart = partEnd;
    }
  }
}

/** No pooled chunks: shared, never written. */
const NO_CHUNKS: readonly Buffer[] = [];

/**
 * Packs records as a range reads them; `append` is an InPlaceReader, so each is
 * copied once. One packer serves range after range (start, appends, finish):
 * ranges run one at a time on the event loop.
 */
export class RecordPacker {
  private parts: Buffer[] = [];
  private pooled: Buffer[] | null = null;
  private ends: number[] = [];
  private expectedRecords = 0;
  private packing = false;
  private chunk: Buffer | null = null;
  private chunkUsed = 0;
  /** Bytes in the parts already closed. */
  private closedBytes = 0;
  /** Plain views of the sources records are copied from. */
  private readonly source = new PlainView();

  /** Begins a packing; expectedRecords (how many records will be appended) sizes the first chunk. */
  start(expectedRecords: number): void {
    assert(!this.packing, 'record packer started twice');
    this.packing = true;
    this.expectedRecords = expectedRecords;
    this.parts = [];
    this.ends = [];
    this.pooled = null;
    this.closedBytes = 0;
  }

  readonly append: InPlaceReader = (value, valueBytes) => {
    // `value` may be longer than valueBytes, so a view of exactly the record is copied
    // (Buffer's copy makes such a view too, and trusts `length`, which lmdb-js overrides).
    this.appendExact(this.source.of(value).subarray(0, valueBytes));
  };

  /** Appends a record held in a plain Uint8Array of exactly its length (the record cache's copies): no view is made. */
  appendExact(record: Uint8Array): void {
    const valueBytes = record.length;
    const entryBytes = KVS_FIELD_TAG_BYTES + varintBytes(valueBytes) + valueBytes;
    let chunk = this.chunk;
    if (chunk === null || this.chunkUsed + entryBytes > chunk.length) chunk = this.newChunk(entryBytes);
    let at = this.chunkUsed;
    chunk[at++] = KVS_FIELD_TAG;
    at = writeVarint(chunk, at, valueBytes);
    chunk.set(record, at);
    at += valueBytes;
    this.chunkUsed = at;
    this.ends.push(this.closedBytes + at);
  }

  /** The records appended since start(). */
  finish(): PackedRecords {
    assert(this.packing, 'record packer finished without a start');
    this.closeChunk();
    this.packing = false;
    const count = this.ends.length;
    if (count > 0) entryBytesGuess = Math.ceil(this.closedBytes / count);
    return new PackedRecords({ parts: this.parts, ends: this.ends, pooled: this.pooled ?? NO_CHUNKS, released: false }, 0, count);
  }

  private newChunk(entryBytes: number): Buffer {
    assert(this.packing, 'record appended without a start');
    this.closeChunk();
    const remaining = Math.max(this.expectedRecords - this.ends.length, 1);
    const guessBytes = remaining * Math.max(entryBytesGuess, entryBytes);
    let chunk: Buffer;
    if (entryBytes > CHUNK_BYTES || guessBytes <= SMALL_CHUNK_BYTES_MAX) {
      chunk = Buffer.allocUnsafe(Math.max(entryBytes, Math.min(guessBytes, CHUNK_BYTES)));
    } else {
      chunk = freeChunks.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
      (this.pooled ??= []).push(chunk);
    }
    this.chunk = chunk;
    this.chunkUsed = 0;
    return chunk;
  }

  private closeChunk(): void {
    if (this.chunk === null || this.chunkUsed === 0) return;
    this.parts.push(this.chunk.subarray(0, this.chunkUsed));
    this.closedBytes += this.chunkUsed;
    this.chunk = null;
    this.chunkUsed = 0;
  }
}

function readVarint(bytes: Buffer, offset: number): { value: number; next: number } {
  let value = 0;
  let at = offset;
  for (let i = 0; i < LENGTH_VARINT_BYTES_MAX; i++) {
    const byte = bytes[at++] as number;
    value += (byte & VARINT_PAYLOAD_MASK) * 2 ** (VARINT_PAYLOAD_BITS * i);
    if ((byte & VARINT_CONTINUE_BIT) === 0) break;
  }
  return { value, next: at };
}
