// An HPACK decoder (RFC 7541): one per connection direction, keeping the dynamic table
// across header blocks. Strings are latin1 so that every byte survives a re-encode.
import { huffmanDecode } from './hpack-huffman.js';
import { STATIC_TABLE } from './hpack-static-table.js';
import { Http2InputError } from './http2-input-error.js';

export interface HeaderField {
  readonly name: string;
  readonly value: string;
  /** Sent as "never indexed" (sensitive): a re-encoder must keep it so. */
  readonly neverIndexed: boolean;
}

/** RFC 7541 4.1: each entry costs its name and value octets plus 32. */
const ENTRY_OVERHEAD_BYTES = 32;
/** The default SETTINGS_HEADER_TABLE_SIZE, which is what the server side advertises. */
export const HEADER_TABLE_BYTES_DEFAULT = 4096;
/** Integers past this are refused (no header length or index comes near it). */
const INTEGER_MAX = 2 ** 28;

export class HpackDecoder {
  /** Newest first, as HPACK indexes them. */
  private readonly entries: Array<readonly [string, string]> = [];
  private tableBytes = 0;
  private tableBytesMax: number;

  constructor(
    /** The most the peer may set the table to (our SETTINGS_HEADER_TABLE_SIZE). */
    private readonly tableBytesLimit = HEADER_TABLE_BYTES_DEFAULT,
    /** Decoded name and value octets (plus 32 per field) allowed in one block. */
    private readonly headerListBytesMax = 256 * 1024,
  ) {
    this.tableBytesMax = tableBytesLimit;
  }

  get dynamicTable(): ReadonlyArray<readonly [string, string]> {
    return this.entries;
  }

  get dynamicTableBytes(): number {
    return this.tableBytes;
  }

  decode(block: Uint8Array): HeaderField[] {
    const reader = { block, at: 0 };
    const fields: HeaderField[] = [];
    let listBytes = 0;
    let sawField = false;
    while (reader.at < block.length) {
      const first = block[reader.at] ?? 0;
      if ((first & 0xe0) === 0x20) {
        // A table size update may only open a block (RFC 7541 4.2).
        if (sawField) throw new Http2InputError('dynamic table size update after a header field');
        this.resize(readInteger(reader, 5));
        continue;
      }
      sawField = true;
      const field = this.readField(reader, first);
      listBytes += field.name.length + field.value.length + ENTRY_OVERHEAD_BYTES;
      if (listBytes > this.headerListBytesMax) throw new Http2InputError('header list too large');
      fields.push(field);
    }
    return fields;
  }

  private readField(reader: Reader, first: number): HeaderField {
    if ((first & 0x80) !== 0) {
      const [name, value] = this.lookup(readInteger(reader, 7));
      return { name, value, neverIndexed: false };
    }
    const indexed = (first & 0xc0) === 0x40;
    const prefixBits = indexed ? 6 : 4;
    const nameIndex = readInteger(reader, prefixBits);
    const name = nameIndex === 0 ? readString(reader) : this.lookup(nameIndex)[0];
    const value = readString(reader);
    if (indexed) this.insert(name, value);
    return { name, value, neverIndexed: (first & 0xf0) === 0x10 };
  }

  private lookup(index: number): readonly [string, string] {
    if (index === 0) throw new Http2InputError('header index 0');
    const entry = index <= STATIC_TABLE.length ? STATIC_TABLE[index - 1] : this.entries[index - STATIC_TABLE.length - 1];
    if (entry === undefined) throw new Http2InputError(`header index ${index} out of range`);
    return entry;
  }

  private insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD_BYTES;
    this.entries.unshift([name, value]);
    this.tableBytes += size;
    // An entry larger than the table empties it (RFC 7541 4.4).
    this.evictTo(this.tableBytesMax);
  }

  private resize(bytes: number): void {
    if (bytes > this.tableBytesLimit) throw new Http2InputError(`dynamic table size ${bytes} above ${this.tableBytesLimit}`);
    this.tableBytesMax = bytes;
    this.evictTo(bytes);
  }

  private evictTo(bytes: number): void {
    while (this.tableBytes > bytes) {
      const oldest = this.entries.pop();
      if (oldest === undefined) break;
      this.tableBytes -= oldest[0].length + oldest[1].length + ENTRY_OVERHEAD_BYTES;
    }
  }
}

interface Reader {
  readonly block: Uint8Array;
  at: number;
}

/** RFC 7541 5.1: an N-bit prefix integer, continued in 7-bit groups. */
function readInteger(reader: Reader, prefixBits: number): number {
  const mask = (1 << prefixBits) - 1;
  let value = (reader.block[reader.at] ?? 0) & mask;
  reader.at += 1;
  if (value < mask) return value;
  for (let shift = 0; ; shift += 7) {
    if (reader.at >= reader.block.length) throw new Http2InputError('truncated integer');
    const byte = reader.block[reader.at] ?? 0;
    reader.at += 1;
    value += (byte & 0x7f) * 2 ** shift;
    if (value > INTEGER_MAX) throw new Http2InputError('integer too large');
    if ((byte & 0x80) === 0) return value;
  }
}

/** RFC 7541 5.2: H bit, 7-bit prefix length, octets. */
function readString(reader: Reader): string {
  if (reader.at >= reader.block.length) throw new Http2InputError('truncated string');
  const huffman = ((reader.block[reader.at] ?? 0) & 0x80) !== 0;
  const length = readInteger(reader, 7);
  if (reader.at + length > reader.block.length) throw new Http2InputError('truncated string');
  const raw = reader.block.subarray(reader.at, reader.at + length);
  reader.at += length;
  return (huffman ? huffmanDecode(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.length)).toString('latin1');
}
