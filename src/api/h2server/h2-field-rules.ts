// What makes a request's header list malformed as Go's HTTP/2 framer judges it (the one
// under etcd's gRPC-Go): a value with a control byte, a regular name that is not a
// lower-case token, a pseudo-header after a regular one, an unknown or repeated
// pseudo-header, or request and response pseudo-headers mixed. Such a list resets its
// stream with PROTOCOL_ERROR; the connection goes on.
import type { HeaderField } from '../http2/hpack-decoder.js';

const BYTE_VALUES = 256;
const TAB = 0x09;
const SPACE = 0x20;
const DEL = 0x7f;
/** RFC 9110 tchar besides digits and letters. */
const TOKEN_PUNCTUATION = "!#$%&'*+-.^_`|~";
/** Lookup tables, as these run on every field of every request: 1 where the byte may appear. */
const VALUE_BYTES = byteTable((byte) => (byte >= SPACE || byte === TAB) && byte !== DEL);
const NAME_BYTES = byteTable((byte) => {
  const char = String.fromCharCode(byte);
  return (char >= 'a' && char <= 'z') || (char >= '0' && char <= '9') || TOKEN_PUNCTUATION.includes(char);
});
/** Each known pseudo-header's bit; :status is a response's. */
const PSEUDO_HEADER_BITS: ReadonlyMap<string, number> = new Map([[':method', 1], [':path', 2], [':scheme', 4], [':authority', 8], [':status', 16]]);
const REQUEST_PSEUDO_BITS = 1 | 2 | 4 | 8;
const RESPONSE_PSEUDO_BIT = 16;

function byteTable(allowed: (byte: number) => boolean): Uint8Array {
  return Uint8Array.from({ length: BYTE_VALUES }, (_, byte) => (allowed(byte) ? 1 : 0));
}

/** Whether every char (a byte, as HPACK strings are read) is allowed by the table. */
function allAllowed(text: string, table: Uint8Array): boolean {
  for (let i = 0; i < text.length; i++) {
    if (table[text.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

/** Checks fields one at a time, in order, as they are decoded (a value may hold any byte but the controls, tab aside, and DEL). */
export class FieldRules {
  private sawRegular = false;

  /** Why the field makes the list malformed, or null when it is fine. */
  check(field: HeaderField): string | null {
    if (!allAllowed(field.value, VALUE_BYTES)) return `invalid value for ${field.name}`;
    if (field.name.startsWith(':')) return this.sawRegular ? 'pseudo-header after a regular header' : null;
    this.sawRegular = true;
    // A regular name is a non-empty RFC 9110 token without upper-case letters.
    return field.name.length > 0 && allAllowed(field.name, NAME_BYTES) ? null : `invalid header name ${JSON.stringify(field.name)}`;
  }

  reset(): void {
    this.sawRegular = false;
  }
}

/** Checks a whole list's pseudo-headers: known, each once, request or response but not both. */
export function pseudoHeaderProblem(fields: readonly HeaderField[]): string | null {
  // A bit set, not a Set: this runs for every request.
  let seen = 0;
  for (const { name } of fields) {
    if (!name.startsWith(':')) continue;
    const bit = PSEUDO_HEADER_BITS.get(name);
    if (bit === undefined) return `unknown pseudo-header ${name}`;
    if ((seen & bit) !== 0) return `repeated pseudo-header ${name}`;
    seen |= bit;
  }
  return (seen & REQUEST_PSEUDO_BITS) !== 0 && (seen & RESPONSE_PSEUDO_BIT) !== 0 ? 'request and response pseudo-headers mixed' : null;
}
