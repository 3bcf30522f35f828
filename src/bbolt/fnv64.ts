// FNV-1a 64, the checksum bbolt keeps over each meta page.

const FNV64_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const UINT64_MASK = 0xffff_ffff_ffff_ffffn;

export function fnv1a64(bytes: Uint8Array): bigint {
  let hash = FNV64_OFFSET_BASIS;
  for (const byte of bytes) {
    hash ^= BigInt(byte);
    hash = (hash * FNV64_PRIME) & UINT64_MASK;
  }
  return hash;
}
