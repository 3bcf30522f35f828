// A stateless HPACK encoder: every field as a literal without indexing (or never indexed,
// when it came so) with a literal name and no Huffman, so the peer's dynamic table stays
// empty and no table state has to be kept in step with it.
import type { HeaderField } from './hpack-decoder.js';

const LITERAL_WITHOUT_INDEXING = 0x00;
const LITERAL_NEVER_INDEXED = 0x10;

export function encodeHeaderBlock(fields: readonly HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  for (const field of fields) {
    parts.push(Buffer.of(field.neverIndexed ? LITERAL_NEVER_INDEXED : LITERAL_WITHOUT_INDEXING));
    parts.push(encodeString(field.name), encodeString(field.value));
  }
  return Buffer.concat(parts);
}

function encodeString(text: string): Buffer {
  const octets = Buffer.from(text, 'latin1');
  return Buffer.concat([encodeInteger(octets.length, 7, 0x00), octets]);
}

/** RFC 7541 5.1, with the bits above the prefix taken from flags. */
export function encodeInteger(value: number, prefixBits: number, flags: number): Buffer {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) return Buffer.of(flags | value);
  const bytes = [flags | mask];
  let rest = value - mask;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
