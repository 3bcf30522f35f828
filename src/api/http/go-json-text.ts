// Go's text conventions that show through etcd's gateway errors: how encoding/json
// quotes a bad byte, how %q quotes a string, and how a JSON string is unescaped.

/** A JSON body etcd's gateway refuses, with the error text Go gives it. */
export class GoJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoJsonError';
  }
}

const GO_ESCAPES: Readonly<Record<number, string>> = {
  0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x5c: '\\\\',
};

const hex = (value: number, width: number): string => value.toString(16).padStart(width, '0');

/** Go's strconv.IsPrint for the code points a single byte can name (U+0000..U+00FF). */
function isPrintableLatin1(code: number): boolean {
  return (code >= 0x20 && code < 0x7f) || (code > 0xa0 && code !== 0xad && code <= 0xff);
}

/** encoding/json's quoteChar: a scanned byte as it appears in "invalid character ..." texts. */
export function quoteGoChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  return `'${quoteRune(c)}'`;
}

function quoteRune(code: number): string {
  const escape = GO_ESCAPES[code];
  if (escape !== undefined) return escape;
  if (code < 0x80 && !isPrintableLatin1(code)) return `\\x${hex(code, 2)}`;
  if (code < 0x100 && !isPrintableLatin1(code)) return `\\u${hex(code, 4)}`;
  return String.fromCodePoint(code);
}

/** Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** fmt's %q of raw bytes: printable UTF-8 kept, the rest escaped. */
export function goQuote(bytes: Buffer): string {
  let out = '"';
  let i = 0;
  while (i < bytes.length) {
    const [code, width] = decodeRune(bytes, i);
    if (code === undefined) out += `\\x${hex(bytes[i] ?? 0, 2)}`;
    else if (code === 0x22) out += '\\"';
    else if (code < 0x100) out += quoteRune(code);
    else if (PRINTABLE.test(String.fromCodePoint(code))) out += String.fromCodePoint(code);
    else out += code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
    i += width;
  }
  return `${out}"`;
}

const GO_JSON_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029', '\\b': '\\u0008', '\\f': '\\u000c',
};

/** JSON text as Go's encoding/json writes it (HTML-safe: <, >, & and U+2028/9 escaped; \b and \f as \u00XX). */
export function goJsonStringify(value: unknown): string {
  const text = JSON.stringify(value);
  if (!/[<>&\u2028\u2029]|\\[bf]/.test(text)) return text;
  // Escapes are matched whole, so the b of an escaped backslash is left alone.
  return text.replace(/\\[\s\S]|[<>&\u2028\u2029]/g, (match) => GO_JSON_ESCAPES[match] ?? match);
}

/** One UTF-8 sequence as Go's utf8.DecodeRune reads it; an invalid one is [undefined, 1]. */
function decodeRune(bytes: Buffer, at: number): [number | undefined, number] {
  const b0 = bytes[at] ?? 0;
  if (b0 < 0x80) return [b0, 1];
  const width = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
  if (width === 0 || at + width > bytes.length) return [undefined, 1];
  let code = b0 & (0xff >> (width + 1));
  for (let k = 1; k < width; k++) {
    const b = bytes[at + k] ?? 0;
    if ((b & 0xc0) !== 0x80) return [undefined, 1];
    code = (code << 6) | (b & 0x3f);
  }
  const smallest = width === 2 ? 0x80 : width === 3 ? 0x800 : 0x10000;
  if (code < smallest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return [undefined, 1];
  return [code, width];
}

const REPLACEMENT = Buffer.from('\ufffd', 'utf8');
const SIMPLE_UNESCAPES: Readonly<Record<string, number>> = { b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, '\\': 0x5c, '/': 0x2f, '"': 0x22 };

/**
 * The bytes of a JSON string's contents (already checked by the scanner) after Go's
 * unquoting: escapes resolved, surrogate pairs joined, each invalid UTF-8 byte and each
 * lone surrogate turned into U+FFFD.
 */
export function unquoteGoString(raw: Buffer): Buffer {
  if (!raw.includes(0x5c) && raw.every((b) => b < 0x80)) return raw;
  const parts: Buffer[] = [];
  let i = 0;
  while (i < raw.length) {
    const b = raw[i] ?? 0;
    if (b === 0x5c) {
      const kind = String.fromCharCode(raw[i + 1] ?? 0);
      const simple = SIMPLE_UNESCAPES[kind];
      if (simple !== undefined) {
        parts.push(Buffer.of(simple));
        i += 2;
        continue;
      }
      const [code, used] = readUnicodeEscape(raw, i);
      parts.push(Buffer.from(String.fromCodePoint(code), 'utf8'));
      i += used;
      continue;
    }
    const [code, width] = decodeRune(raw, i);
    parts.push(code === undefined ? REPLACEMENT : raw.subarray(i, i + width));
    i += width;
  }
  return Buffer.concat(parts);
}

/** A \uXXXX escape at `at` (with its low surrogate, if it pairs): the code point and bytes used. */
function readUnicodeEscape(raw: Buffer, at: number): [number, number] {
  const unit = Number.parseInt(raw.subarray(at + 2, at + 6).toString('latin1'), 16);
  if (unit < 0xd800 || unit > 0xdfff) return [unit, 6];
  if (unit <= 0xdbff && raw[at + 6] === 0x5c && raw[at + 7] === 0x75) {
    const low = Number.parseInt(raw.subarray(at + 8, at + 12).toString('latin1'), 16);
    if (low >= 0xdc00 && low <= 0xdfff) return [0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00), 12];
  }
  return [0xfffd, 6];
}
