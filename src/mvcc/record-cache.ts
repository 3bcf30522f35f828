// A bounded cache of stored records (the `key` bucket's mvccpb.KeyValue bytes) by
// revision, so repeated ranges copy records from memory instead of reading the backend.
//
// A record never changes once written at its revision, so an entry stays right for as
// long as the backend keeps the history it came from. Only replacing the backend's
// contents wholesale (a snapshot installed from the leader) can put different records
// under the same revisions: the store clears its cache then (MvccStore.reloadFromBackend).
// Compaction needs no hook: the revisions it deletes are no longer in the key index, so
// nothing asks for them again and their entries age out like any other cold entry.
import { assert } from '../util/assert.js';

/** What the cache may hold: record bytes (in whole slabs) plus ENTRY_OVERHEAD_BYTES per entry. */
export const RECORD_CACHE_BYTES_MAX = 64 * 1024 * 1024;
/** Records are copied into slabs of this size; eviction drops the oldest slab whole. */
export const RECORD_CACHE_SLAB_BYTES = 1024 * 1024;
/**
 * Heap bytes an entry costs besides its record (estimated): the entry object, the
 * view of its bytes and the map slot.
 */
export const ENTRY_OVERHEAD_BYTES = 160;
/** Records above a sixteenth of a slab are not cached: copying dominates their reads anyway. */
const SLAB_FRACTION_CACHED_MAX = 16;
/** Entries of revisions with sub > 0 are keyed main * SUB_SPAN + sub, which is exact up to here. */
const SUB_SPAN = 2 ** 16;
const COMPOSITE_MAIN_MAX = Math.floor(Number.MAX_SAFE_INTEGER / SUB_SPAN);

export interface RecordCacheOptions {
  readonly bytesMax?: number;
  readonly slabBytes?: number;
}

class CachedRecord {
  /** Set by a hit; an entry with it set survives its slab's eviction once (second chance). */
  referenced = false;

  constructor(
    readonly main: number,
    readonly sub: number,
    readonly bytes: Uint8Array,
  ) {}
}

class Slab {
  readonly bytes: Uint8Array;
  used = 0;
  readonly entries: CachedRecord[] = [];

  constructor(capacityBytes: number) {
    this.bytes = new Uint8Array(capacityBytes);
  }
}

const subarrayOf = Uint8Array.prototype.subarray;

/**
 * Entries are copies in slabs the cache owns (never views of backend memory, which
 * is valid only during a read). Eviction is CLOCK-like at slab granularity: the
 * oldest slab goes, and the entries hit since they were copied in are copied once
 * more into the newest slab instead of being dropped. A hit allocates nothing.
 */
export class RecordCache {
  /** Revisions with sub 0, by main: a put outside a txn, the common case. */
  private readonly byMain = new Map<number, CachedRecord>();
  /** Revisions with sub > 0, by main * SUB_SPAN + sub. */
  private readonly bySub = new Map<number, CachedRecord>();
  /** Oldest first; the last one is being filled. */
  private slabs: Slab[] = [];
  private entryCount = 0;
  private readonly bytesMax: number;
  private readonly slabBytes: number;
  private readonly recordBytesMax: number;
  /** A slab takes no more entries than this, so its overhead never exceeds its own size. */
  private readonly slabEntriesMax: number;
  hits = 0;
  misses = 0;

  constructor(options: RecordCacheOptions = {}) {
    this.bytesMax = options.bytesMax ?? RECORD_CACHE_BYTES_MAX;
    this.slabBytes = options.slabBytes ?? RECORD_CACHE_SLAB_BYTES;
    this.recordBytesMax = Math.floor(this.slabBytes / SLAB_FRACTION_CACHED_MAX);
    this.slabEntriesMax = Math.floor(this.slabBytes / ENTRY_OVERHEAD_BYTES);
    assert(this.slabEntriesMax >= 1, 'record cache slab smaller than one entry');
    // A slab costs at most twice its size (bytes plus entries), and the newest is never
    // evicted: with room for two such slabs the bound always holds.
    assert(this.bytesMax >= 4 * this.slabBytes, 'record cache smaller than four slabs');
  }

  /** What the entries cost, as counted against the bound. */
  get bytes(): number {
    return this.slabs.length * this.slabBytes + this.entryCount * ENTRY_OVERHEAD_BYTES;
  }

  get size(): number {
    return this.entryCount;
  }

  /** The record at (main, sub), or undefined. The bytes are the cache's: read them, never write. */
  get(main: number, sub: number): Uint8Array | undefined {
    const entry = sub === 0 ? this.byMain.get(main) : this.bySubEntry(main, sub);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    entry.referenced = true;
    this.hits++;
    return entry.bytes;
  }

  /**
   * Copies `value`'s first `valueBytes` bytes in as the record at (main, sub) and
   * returns the copy; undefined if such a record is not cached (too large, or a
   * revision without an exact key).
   */
  insert(main: number, sub: number, value: Uint8Array, valueBytes: number): Uint8Array | undefined {
    if (valueBytes > this.recordBytesMax) return undefined;
    if (sub !== 0 && (sub >= SUB_SPAN || main > COMPOSITE_MAIN_MAX)) return undefined;
    const present = sub === 0 ? this.byMain.get(main) : this.bySub.get(main * SUB_SPAN + sub);
    if (present !== undefined) return present.bytes;
    // `value` may be lmdb-js's Buffer, whose `length` is its own: take a plain view of the record.
    const entry = this.append(main, sub, subarrayOf.call(value, 0, valueBytes));
    this.trim();
    return entry.bytes;
  }

  clear(): void {
    this.byMain.clear();
    this.bySub.clear();
    this.slabs = [];
    this.entryCount = 0;
  }

  private bySubEntry(main: number, sub: number): CachedRecord | undefined {
    if (sub >= SUB_SPAN || main > COMPOSITE_MAIN_MAX) return undefined;
    return this.bySub.get(main * SUB_SPAN + sub);
  }

  /** Copies `record` into the newest slab (opening one if it is full) and maps it. */
  private append(main: number, sub: number, record: Uint8Array): CachedRecord {
    let slab = this.slabs[this.slabs.length - 1];
    if (slab === undefined || slab.used + record.length > this.slabBytes || slab.entries.length >= this.slabEntriesMax) {
      slab = new Slab(this.slabBytes);
      this.slabs.push(slab);
    }
    const at = slab.used;
    slab.bytes.set(record, at);
    slab.used = at + record.length;
    const entry = new CachedRecord(main, sub, slab.bytes.subarray(at, slab.used));
    slab.entries.push(entry);
    this.entryCount++;
    if (sub === 0) this.byMain.set(main, entry);
    else this.bySub.set(main * SUB_SPAN + sub, entry);
    return entry;
  }

  /**
   * Evicts the oldest slabs until the bound holds. Only the first eviction gives its
   * hit entries a second chance (at most one slab's bytes are copied per insert); the
   * newest slab stays, so the loop ends within the slab count.
   */
  private trim(): void {
    let secondChance = true;
    while (this.bytes > this.bytesMax && this.slabs.length > 1) {
      this.evictOldest(secondChance);
      secondChance = false;
    }
  }

  private evictOldest(secondChance: boolean): void {
    const slab = this.slabs.shift();
    assert(slab !== undefined, 'record cache evicted from no slabs');
    this.entryCount -= slab.entries.length;
    for (const entry of slab.entries) {
      if (secondChance && entry.referenced) {
        // Copied from the evicted slab, which stays alive until this loop ends.
        this.append(entry.main, entry.sub, entry.bytes);
      } else if (entry.sub === 0) this.byMain.delete(entry.main);
      else this.bySub.delete(entry.main * SUB_SPAN + entry.sub);
    }
  }
}
