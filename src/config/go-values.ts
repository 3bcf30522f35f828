// Parsers for flag values that accept exactly what Go's flag and strconv/time packages
// accept, so a command line that works with etcd works here and a bad one fails the same way.

/** Go's integer kinds as etcd declares its numeric flags (amd64: int and uint are 64 bits). */
export type GoIntegerType = 'int' | 'int64' | 'uint' | 'uint64';

/** The two reasons Go's flag package reports for a bad number. */
export type GoNumberError = 'parse error' | 'value out of range';

export type GoParsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

const GO_BOOL_TRUE: ReadonlySet<string> = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_BOOL_FALSE: ReadonlySet<string> = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool. */
export function parseGoBool(text: string): boolean | undefined {
  if (GO_BOOL_TRUE.has(text)) return true;
  if (GO_BOOL_FALSE.has(text)) return false;
  return undefined;
}

export function integerRange(type: GoIntegerType): { readonly min: bigint; readonly max: bigint } {
  return type === 'int' || type === 'int64' ? { min: INT64_MIN, max: INT64_MAX } : { min: 0n, max: UINT64_MAX };
}

// Go allows '_' only as a separator between digits (or right after a base prefix).
function underscoresAreSeparators(digitsWithPrefix: string): boolean {
  let saw = '^';
  let i = 0;
  const s = digitsWithPrefix;
  const lower = s.toLowerCase();
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'box'.includes(lower[1] ?? '')) {
    i = 2;
    saw = '0';
    hex = lower[1] === 'x';
  }
  for (; i < s.length; i++) {
    const c = lower[i] ?? '';
    if ((c >= '0' && c <= '9') || (hex && c >= 'a' && c <= 'f')) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

function baseOf(unsigned: string): { readonly radix: number; readonly digits: string } {
  const lower = unsigned.toLowerCase();
  if (lower.startsWith('0x')) return { radix: 16, digits: unsigned.slice(2) };
  if (lower.startsWith('0b')) return { radix: 2, digits: unsigned.slice(2) };
  if (lower.startsWith('0o')) return { radix: 8, digits: unsigned.slice(2) };
  if (unsigned.length > 1 && unsigned[0] === '0') return { radix: 8, digits: unsigned.slice(1) };
  return { radix: 10, digits: unsigned };
}

function digitsToBigInt(digits: string, radix: number): bigint | undefined {
  if (digits.length === 0) return undefined;
  let value = 0n;
  const bigRadix = BigInt(radix);
  for (const c of digits.toLowerCase()) {
    if (c === '_') continue;
    const digit = parseInt(c, 36);
    if (Number.isNaN(digit) || digit >= radix) return undefined;
    value = value * bigRadix + BigInt(digit);
  }
  return value;
}

/** strconv.ParseInt/ParseUint with base 0 (prefixes 0x, 0o, 0b, leading 0 for octal, '_' separators). */
export function parseGoInteger(text: string, type: GoIntegerType): GoParsed<bigint> {
  const signed = type === 'int' || type === 'int64';
  let body = text;
  let negative = false;
  if (signed && (body.startsWith('+') || body.startsWith('-'))) {
    negative = body[0] === '-';
    body = body.slice(1);
  }
  if (body.includes('_') && !underscoresAreSeparators(body)) return { ok: false, error: 'parse error' };
  const { radix, digits } = baseOf(body);
  const magnitude = digitsToBigInt(digits, radix);
  if (magnitude === undefined) return { ok: false, error: 'parse error' };
  const value = negative ? -magnitude : magnitude;
  const range = integerRange(type);
  if (value < range.min || value > range.max) return { ok: false, error: 'value out of range' };
  return { ok: true, value };
}

/** strconv.Quote for the text Go puts in its messages. */
export function goQuote(text: string): string {
  let out = '"';
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** Go's %q of a []string: ["a" "b"]. */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

const NANOSECONDS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n],
  ['\u03bcs', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);
const DURATION_MAGNITUDE_MAX = 1n << 63n;

type DurationTerm = { readonly nanoseconds: bigint; readonly rest: string } | { readonly error: string };

// One "<number>[.<fraction>]<unit>" term of a Go duration.
function parseDurationTerm(s: string, original: string): DurationTerm {
  const invalid = { error: `time: invalid duration ${goQuote(original)}` };
  const match = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
  const whole = match?.[1] ?? '';
  const fraction = match?.[2];
  if (whole === '' && (fraction === undefined || fraction === '')) return invalid;
  let rest = s.slice(match?.[0].length ?? 0);
  let unitLength = 0;
  while (unitLength < rest.length && !/[0-9.]/.test(rest[unitLength] ?? '')) unitLength++;
  if (unitLength === 0) return { error: `time: missing unit in duration ${goQuote(original)}` };
  const unitName = rest.slice(0, unitLength);
  rest = rest.slice(unitLength);
  const unit = NANOSECONDS_PER_UNIT.get(unitName);
  if (unit === undefined) return { error: `time: unknown unit ${goQuote(unitName)} in duration ${goQuote(original)}` };
  const wholeValue = whole === '' ? 0n : BigInt(whole);
  if (wholeValue > DURATION_MAGNITUDE_MAX / unit) return invalid;
  let nanoseconds = wholeValue * unit;
  if (fraction !== undefined && fraction !== '') {
    // Go keeps at most int64 precision of the fraction and scales it by the unit as a float.
    const scaled = Number(`0.${fraction}`) * Number(unit);
    nanoseconds += BigInt(Math.trunc(scaled));
  }
  if (nanoseconds > DURATION_MAGNITUDE_MAX) return invalid;
  return { nanoseconds, rest };
}

/** time.ParseDuration, in nanoseconds; errors carry Go's exact text. */
export function parseGoDuration(text: string): GoParsed<bigint> {
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, value: 0n };
  if (s === '') return { ok: false, error: `time: invalid duration ${goQuote(text)}` };
  let total = 0n;
  while (s !== '') {
    const term = parseDurationTerm(s, text);
    if ('error' in term) return { ok: false, error: term.error };
    total += term.nanoseconds;
    if (total > DURATION_MAGNITUDE_MAX) return { ok: false, error: `time: invalid duration ${goQuote(text)}` };
    s = term.rest;
  }
  if (negative) return { ok: true, value: -total };
  if (total > INT64_MAX) return { ok: false, error: `time: invalid duration ${goQuote(text)}` };
  return { ok: true, value: total };
}

const NANOSECONDS_PER_MILLISECOND = 1_000_000n;

/** Nanoseconds to milliseconds, keeping sub-millisecond precision as a fraction. */
export function nanosecondsToMs(nanoseconds: bigint): number {
  const whole = nanoseconds / NANOSECONDS_PER_MILLISECOND;
  const remainder = nanoseconds % NANOSECONDS_PER_MILLISECOND;
  return Number(whole) + Number(remainder) / Number(NANOSECONDS_PER_MILLISECOND);
}
