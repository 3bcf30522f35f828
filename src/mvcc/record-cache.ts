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
import { PlainView } from '../util/plain-view.js';

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
/**
 * A miss is admitted only if the same revision missed before within the last
 * bytesMax / this many first misses, about as many records as the cache holds (see
 * RecordCache.firstMiss). Records read once, or cycled through in more records than the
 * cache holds, would otherwise evict every entry unread and pay a copy for each.
 */
const DOORKEEPER_WINDOW_BYTES_PER_MISS = 256;
/** Bits per miss in the window: few enough set that a first miss rarely looks like a second. */
const DOORKEEPER_BITS_PER_MISS = 8;
const WORD_BITS = 32;
/** Multipliers of the doorkeeper's hash (odd, from the golden ratio and murmur3). */
const HASH_MAIN = 0x9e3779b1;
const HASH_SUB = 0x85ebca77;
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

/**
 * Entries are copies in slabs the cache owns (never views of backend memory, which
 * is valid only during a read). Eviction is CLOCK-like at slab granularity: the
 * oldest slab goes, and the entries hit since they were copied in are copied once
 * more into the newest slab instead of being dropped. A hit allocates nothing.
 * A record is admitted on its second miss within a window (a doorkeeper, as TinyLFU's),
 * so records read once never displace ones read again.
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
  /** A slab takes no more entries than this, so its entries' overhead never exceeds its own size. */
  private readonly slabEntriesMax: number;
  /** The doorkeeper: one bit per hashed revision that missed since the last reset. */
  private readonly missedBits: Uint32Array;
  private readonly missedBitsShift: number;
  private missesInWindow = 0;
  private readonly windowMisses: number;
  /** Plain views of the sources records are copied from. */
  private readonly source = new PlainView();
  private hitCount = 0;
  private missCount = 0;

  constructor(options: RecordCacheOptions = {}) {
    this.bytesMax = options.bytesMax ?? RECORD_CACHE_BYTES_MAX;
    this.slabBytes = options.slabBytes ?? RECORD_CACHE_SLAB_BYTES;
    this.recordBytesMax = Math.floor(this.slabBytes / SLAB_FRACTION_CACHED_MAX);
    this.slabEntriesMax = Math.floor(this.slabBytes / ENTRY_OVERHEAD_BYTES);
    assert(this.slabEntriesMax >= 1, 'record cache slab smaller than one entry');
    this.windowMisses = Math.ceil(this.bytesMax / DOORKEEPER_WINDOW_BYTES_PER_MISS);
    const bitsLog2 = Math.max(Math.ceil(Math.log2(this.windowMisses * DOORKEEPER_BITS_PER_MISS)), Math.log2(WORD_BITS));
    this.missedBits = new Uint32Array(2 ** bitsLog2 / WORD_BITS);
    this.missedBitsShift = WORD_BITS - bitsLog2;
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

  /** Lookups that found their record, since the cache was made. */
  get hits(): number {
    return this.hitCount;
  }

  /** Lookups that did not. */
  get misses(): number {
    return this.missCount;
  }

  /** The record at (main, sub), or undefined. The bytes are the cache's: read them, never write. */
  get(main: number, sub: number): Uint8Array | undefined {
    const entry = this.entryAt(main, sub);
    if (entry === undefined) {
      this.missCount++;
      return undefined;
    }
    entry.referenced = true;
    this.hitCount++;
    return entry.bytes;
  }

  /**
   * Copies `value`'s first `valueBytes` bytes in as the record at (main, sub), unless
   * such a record is not cached (too large, a revision without an exact key) or this is
   * its first miss in the doorkeeper's window. Returns whether it is in the cache now.
   */
  insert(main: number, sub: number, value: Uint8Array, valueBytes: number): boolean {
    if (valueBytes > this.recordBytesMax || !hasExactKey(main, sub)) return false;
    if (this.entryAt(main, sub) !== undefined) return true;
    if (this.firstMiss(main, sub)) return false;
    this.append(main, sub, this.source.of(value).subarray(0, valueBytes));
    this.trim();
    return true;
  }

  clear(): void {
    this.missedBits.fill(0);
    this.missesInWindow = 0;
    this.byMain.clear();
    this.bySub.clear();
    this.slabs = [];
    this.entryCount = 0;
  }

  /**
   * Records (main, sub) as missed and says whether it had not missed before in this
   * window. Hash collisions only admit a record early; the window restarts after
   * windowMisses first misses, so the bits never fill up.
   */
  private firstMiss(main: number, sub: number): boolean {
    // `main | 0` keeps main's low 32 bits: enough to spread revisions, exactness not needed.
    const hash = (Math.imul(main | 0, HASH_MAIN) ^ Math.imul(sub, HASH_SUB)) >>> this.missedBitsShift;
    const word = hash >>> 5;
    const bit = 1 << (hash & (WORD_BITS - 1));
    const bits = this.missedBits[word] as number;
    if ((bits & bit) !== 0) return false;
    // Restarted before this miss is recorded, so a window never forgets its newest miss.
    if (this.missesInWindow >= this.windowMisses) {
      this.missedBits.fill(0);
      this.missesInWindow = 0;
    }
    this.missedBits[word] = (this.missedBits[word] as number) | bit;
    this.missesInWindow++;
    return true;
  }

  private entryAt(main: number, sub: number): CachedRecord | undefined {
    if (sub === 0) return this.byMain.get(main);
    return hasExactKey(main, sub) ? this.bySub.get(main * SUB_SPAN + sub) : undefined;
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

/** Whether (main, sub) has a key of its own in the cache's maps (sub 0 always does). */
function hasExactKey(main: number, sub: number): boolean {
  return sub === 0 || (sub < SUB_SPAN && main <= COMPOSITE_MAIN_MAX);
}
