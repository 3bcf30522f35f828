// CRC-32C (Castagnoli), the checksum etcd's HashKV uses; Node's zlib.crc32 is
// the IEEE polynomial, so this is a small table-driven implementation.

const CASTAGNOLI_REFLECTED_POLY = 0x82f63b78;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REFLECTED_POLY : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Streaming form: start with crc32cUpdate(0, first), feed the result back. */
export function crc32cUpdate(crc: number, data: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) {
    c = (TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  }
  return ~c >>> 0;
}
