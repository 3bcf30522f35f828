// Reads a request's header block fragment by fragment, as gRPC-Go (under etcd) reads it:
// every representation is decoded as it completes, so the HPACK table stays in step with
// the client's even for a list over the limit or malformed; from the first field that
// makes it so, the list is neither kept nor checked further, and the caller resets its
// stream. A string longer than the limit ends the connection.
import { HpackDecoder, type HeaderField } from '../http2/hpack-decoder.js';
import { Http2InputError } from '../http2/http2-input-error.js';
import { FieldRules, pseudoHeaderProblem } from './h2-field-rules.js';

/** RFC 7541 4.1: each field counts its name and value octets plus 32. */
const FIELD_OVERHEAD_BYTES = 32;
/** HPACK prefix integers past this are refused (as the decoder refuses them). */
const INTEGER_MAX = 2 ** 28;
/** Bytes of an integer's continuation (7 bits each) that can hold INTEGER_MAX. */
const INTEGER_CONTINUATION_BYTES_MAX = 5;

/** Where the next representation ends; `need` is a lower bound on the bytes it takes when it is not all here. */
type Scan = { readonly end: number } | { readonly need: number };

/** A whole list, or why its stream is refused: over the size limit, or malformed (with the first problem). */
export type HeaderList =
  | { readonly kind: 'fields'; readonly fields: HeaderField[] }
  | { readonly kind: 'tooLarge' }
  | { readonly kind: 'malformed'; readonly problem: string };

export class HeaderListReader {
  private readonly decoder: HpackDecoder;
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** No scan is tried before this many bytes are held (a long string arrives in many frames). */
  private needBytes = 0;
  private fields: HeaderField[] = [];
  private listBytes = 0;
  private sawField = false;
  private readonly rules = new FieldRules();
  /** Set by the first field over the limit or malformed; later fields are then only decoded. */
  private refusal: HeaderList | null = null;

  constructor(
    /** Largest header list (and largest single string) taken. */
    private readonly listBytesMax: number,
  ) {
    // The list is counted here, across fragments; the decoder sees one fragment's fields at a time.
    this.decoder = new HpackDecoder(undefined, Number.MAX_SAFE_INTEGER);
  }

  /** Takes the next fragment of the block; throws Http2InputError when the connection must end. */
  push(fragment: Buffer): void {
    if (fragment.length === 0) return;
    this.parts.push(fragment);
    this.partBytes += fragment.length;
    if (this.partBytes < this.needBytes) return;
    const data = this.parts.length === 1 ? fragment : Buffer.concat(this.parts, this.partBytes);
    let at = 0;
    // Each pass steps over one whole representation, so the data's length bounds it.
    for (;;) {
      const scan = this.scan(data, at);
      if ('need' in scan) {
        this.needBytes = scan.need - at;
        break;
      }
      at = scan.end;
    }
    // Whole representations are decoded together: one call for a block that came in one frame.
    if (at > 0) this.take(this.decoder.decode(data.subarray(0, at)));
    // Copied: a fragment is a view of a socket chunk that must not be kept.
    const rest = at < data.length ? Buffer.from(data.subarray(at)) : null;
    this.parts = rest === null ? [] : [rest];
    this.partBytes = rest?.length ?? 0;
  }

  /** Ends the block: its fields, or why its stream is refused. */
  finish(): HeaderList {
    let list = this.refusal ?? { kind: 'fields', fields: this.fields };
    if (list.kind === 'fields') {
      const problem = pseudoHeaderProblem(list.fields);
      if (problem !== null) list = { kind: 'malformed', problem };
    }
    const whole = this.partBytes === 0;
    this.parts = [];
    this.partBytes = 0;
    this.needBytes = 0;
    this.fields = [];
    this.listBytes = 0;
    this.sawField = false;
    this.rules.reset();
    this.refusal = null;
    if (!whole) throw new Http2InputError('header block ends inside a field');
    return list;
  }

  private take(decoded: readonly HeaderField[]): void {
    for (const field of decoded) {
      if (field.name.length > this.listBytesMax || field.value.length > this.listBytesMax) throw new Http2InputError('header string too long');
      // Once refused, the fields are dropped: only the HPACK table matters then.
      if (this.refusal !== null) continue;
      const problem = this.rules.check(field);
      if (problem !== null) {
        this.refusal = { kind: 'malformed', problem };
        continue;
      }
      this.listBytes += field.name.length + field.value.length + FIELD_OVERHEAD_BYTES;
      if (this.listBytes > this.listBytesMax) this.refusal = { kind: 'tooLarge' };
      else this.fields.push(field);
    }
  }

  /** Finds the end of the representation at `at` (RFC 7541 6) without decoding it. */
  private scan(data: Buffer, at: number): Scan {
    if (at >= data.length) return { need: at + 1 };
    const first = data[at] ?? 0;
    if ((first & 0xe0) === 0x20) {
      if (this.sawField) throw new Http2InputError('dynamic table size update after a header field');
      return integerEnd(data, at, 5);
    }
    this.sawField = true;
    if ((first & 0x80) !== 0) return integerEnd(data, at, 7);
    const prefixBits = (first & 0xc0) === 0x40 ? 6 : 4;
    const name = integerEnd(data, at, prefixBits);
    if (!('end' in name)) return name;
    const newName = (first & ((1 << prefixBits) - 1)) === 0;
    const value = newName ? this.stringEnd(data, name.end) : { end: name.end };
    return 'end' in value ? this.stringEnd(data, value.end) : value;
  }

  private stringEnd(data: Buffer, at: number): Scan {
    const length = integerAt(data, at, 7);
    if (!('value' in length)) return length;
    if (length.value > this.listBytesMax) throw new Http2InputError('header string too long');
    const end = length.end + length.value;
    return end <= data.length ? { end } : { need: end };
  }
}

function integerEnd(data: Buffer, at: number, prefixBits: number): Scan {
  const read = integerAt(data, at, prefixBits);
  return 'value' in read ? { end: read.end } : read;
}

/** RFC 7541 5.1: an N-bit prefix integer at `at`, or how many bytes it needs at least. */
function integerAt(data: Buffer, at: number, prefixBits: number): { readonly value: number; readonly end: number } | { readonly need: number } {
  if (at >= data.length) return { need: at + 1 };
  const mask = (1 << prefixBits) - 1;
  let value = (data[at] ?? 0) & mask;
  if (value < mask) return { value, end: at + 1 };
  for (let index = 1; index <= INTEGER_CONTINUATION_BYTES_MAX; index += 1) {
    if (at + index >= data.length) return { need: at + index + 1 };
    const byte = data[at + index] ?? 0;
    value += (byte & 0x7f) * 2 ** (7 * (index - 1));
    if (value > INTEGER_MAX) throw new Http2InputError('integer too large');
    if ((byte & 0x80) === 0) return { value, end: at + index + 1 };
  }
  throw new Http2InputError('integer too large');
}
