// What makes a request's header list malformed as Go's HTTP/2 framer judges it (the one
// under etcd's gRPC-Go): a value with a control byte, a regular name that is not a
// lower-case token, a pseudo-header after a regular one, an unknown or repeated
// pseudo-header, or request and response pseudo-headers mixed. Such a list resets its
// stream with PROTOCOL_ERROR; the connection goes on.
import type { HeaderField } from '../http2/hpack-decoder.js';

const TAB = 0x09;
const SPACE = 0x20;
const DEL = 0x7f;
/** RFC 9110 tchar besides digits and letters. */
const TOKEN_PUNCTUATION = "!#$%&'*+-.^_`|~";
const REQUEST_PSEUDO_HEADERS: ReadonlySet<string> = new Set([':method', ':path', ':scheme', ':authority']);
const RESPONSE_PSEUDO_HEADER = ':status';

/** A value may hold any byte but the controls (tab aside) and DEL. */
function validValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const byte = value.charCodeAt(i);
    if ((byte < SPACE && byte !== TAB) || byte === DEL) return false;
  }
  return true;
}

/** A regular name is a non-empty token without upper-case letters. */
function validName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const char = name.charAt(i);
    const lowerOrDigit = (char >= 'a' && char <= 'z') || (char >= '0' && char <= '9');
    if (!lowerOrDigit && !TOKEN_PUNCTUATION.includes(char)) return false;
  }
  return true;
}

/** Checks fields one at a time, in order, as they are decoded. */
export class FieldRules {
  private sawRegular = false;

  /** Why the field makes the list malformed, or null when it is fine. */
  check(field: HeaderField): string | null {
    if (!validValue(field.value)) return `invalid value for ${field.name}`;
    if (field.name.startsWith(':')) return this.sawRegular ? 'pseudo-header after a regular header' : null;
    this.sawRegular = true;
    return validName(field.name) ? null : `invalid header name ${JSON.stringify(field.name)}`;
  }

  reset(): void {
    this.sawRegular = false;
  }
}

/** Checks a whole list's pseudo-headers: known, each once, request or response but not both. */
export function pseudoHeaderProblem(fields: readonly HeaderField[]): string | null {
  const seen = new Set<string>();
  for (const { name } of fields) {
    if (!name.startsWith(':')) continue;
    if (!REQUEST_PSEUDO_HEADERS.has(name) && name !== RESPONSE_PSEUDO_HEADER) return `unknown pseudo-header ${name}`;
    if (seen.has(name)) return `repeated pseudo-header ${name}`;
    seen.add(name);
  }
  const request = [...seen].some((name) => REQUEST_PSEUDO_HEADERS.has(name));
  return request && seen.has(RESPONSE_PSEUDO_HEADER) ? 'request and response pseudo-headers mixed' : null;
}
