// Base64 as Go's encoding/json reads a []byte (StdEncoding: standard alphabet, padding
// required, CR and LF skipped), failing at the same byte offset Go names in its
// "illegal base64 data at input byte N" error.
import { GoJsonError } from './go-json-text.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 0x3d;
const DECODE: readonly number[] = Array.from({ length: 256 }, (_unused, byte) => ALPHABET.indexOf(String.fromCharCode(byte)));

const isNewline = (c: number | undefined): boolean => c === 0x0a || c === 0x0d;
const corrupt = (at: number): GoJsonError => new GoJsonError(`illegal base64 data at input byte ${at}`);

/** Whole groups of the alphabet with correct padding: Node's decoder gives Go's bytes for these. */
const WELL_FORMED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeGoBase64(src: Buffer): Buffer {
  const text = src.toString('latin1');
  if (WELL_FORMED.test(text)) return Buffer.from(text, 'base64');
  // Malformed (or with line breaks): walk it group by group to fail at Go's offset.
  const out: number[] = [];
  let at = 0;
  while (at < src.length) at = decodeQuantum(src, at, out);
  return Buffer.from(out);
}

/** Decodes one group of up to four symbols starting at `at`; returns where the next group starts. */
function decodeQuantum(src: Buffer, start: number, out: number[]): number {
  const symbols: number[] = [];
  let at = start;
  while (symbols.length < 4) {
    if (at === src.length) {
      if (symbols.length === 0) return at;
      // Go names the first byte of the cut-short group (skipped newlines aside).
      throw corrupt(at - symbols.length);
    }
    const c = src[at] ?? 0;
    at++;
    const value = DECODE[c] ?? -1;
    if (value >= 0) {
      symbols.push(value);
      continue;
    }
    if (isNewline(c)) continue;
    if (c !== PAD) throw corrupt(at - 1);
    at = checkPadding(src, at, symbols.length);
    break;
  }
  emitBytes(symbols, out);
  return at;
}

/** After a '=' at at-1 that ends a group of `have` symbols: the offset past the padding. */
function checkPadding(src: Buffer, afterPad: number, have: number): number {
  let at = afterPad;
  if (have < 2) throw corrupt(at - 1);
  if (have === 2) {
    while (at < src.length && isNewline(src[at])) at++;
    if (at === src.length) throw corrupt(src.length);
    if (src[at] !== PAD) throw corrupt(at - 1);
    at++;
  }
  while (at < src.length && isNewline(src[at])) at++;
  if (at < src.length) throw corrupt(at);
  return at;
}

function emitBytes(symbols: readonly number[], out: number[]): void {
  const [a = 0, b = 0, c = 0, d = 0] = symbols;
  const value = (a << 18) | (b << 12) | (c << 6) | d;
  if (symbols.length >= 2) out.push((value >> 16) & 0xff);
  if (symbols.length >= 3) out.push((value >> 8) & 0xff);
  if (symbols.length === 4) out.push(value & 0xff);
}
