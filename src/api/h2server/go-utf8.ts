// Text of header bytes as gRPC-Go shows it: Go decodes a string rune by rune, and a
// byte that does not begin a valid UTF-8 sequence becomes one U+FFFD on its own (so
// a truncated three-byte sequence is two replacements, where a WHATWG decoder such
// as Buffer's utf8 would give one); and Go's %q quoting of such bytes.

const REPLACEMENT = '\uFFFD';

/** The length of the valid UTF-8 sequence at `at`, or 0 if none starts there (Go's utf8.DecodeRune rules). */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at] ?? 0;
  if (lead < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0; // no overlong forms
    if (lead === 0xed) high = 0x9f; // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f; // nothing above U+10FFFF
  } else return 0;
  if (at + length > bytes.length) return 0;
  const second = bytes[at + 1] ?? 0;
  if (second < low || second > high) return 0;
  for (let i = 2; i < length; i++) {
    const next = bytes[at + i] ?? 0;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}

/** Go's utf8.Valid. */
export function validGoUtf8(bytes: Uint8Array): boolean {
  // Each pass consumes at least one byte.
  for (let at = 0; at < bytes.length; ) {
    const length = sequenceLength(bytes, at);
    if (length === 0) return false;
    at += length;
  }
  return true;
}

/** `latin1` holds raw header bytes one per char (as the HPACK decoder gives them). */
export function goUtf8Text(latin1: string): string {
  // Plain ASCII, the usual case, is already its own text.
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  let text = '';
  // Each pass consumes at least one byte.
  for (let at = 0; at < bytes.length; ) {
    const length = sequenceLength(bytes, at);
    if (length === 0) {
      text += REPLACEMENT;
      at += 1;
    } else {
      text += bytes.toString('utf8', at, at + length);
      at += length;
    }
  }
  return text;
}

/** Go's unicode.IsPrint for a rune above ASCII: letters, marks, numbers, punctuation and symbols. */
const PRINTABLE_RUNE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };

function hexEscape(prefix: string, value: number, digits: number): string {
  return `${prefix}${value.toString(16).padStart(digits, '0')}`;
}

/** Go's %q of header bytes (`latin1`, one byte per char): quoted, with what is not printable escaped. */
export function goQuote(latin1: string): string {
  const bytes = Buffer.from(latin1, 'latin1');
  let text = '"';
  // Each pass consumes at least one byte.
  for (let at = 0; at < bytes.length; ) {
    const length = sequenceLength(bytes, at);
    if (length === 0) {
      text += hexEscape('\\x', bytes[at] ?? 0, 2);
      at += 1;
      continue;
    }
    const rune = bytes.toString('utf8', at, at + length);
    at += length;
    const code = rune.codePointAt(0) ?? 0;
    const escape = SHORT_ESCAPES[rune];
    if (escape !== undefined) text += escape;
    else if (code < 0x80) text += code >= 0x20 && code < 0x7f ? rune : hexEscape('\\x', code, 2);
    else if (PRINTABLE_RUNE.test(rune)) text += rune;
    else text += code < 0x10000 ? hexEscape('\\u', code, 4) : hexEscape('\\U', code, 8);
  }
  return `${text}"`;
}
