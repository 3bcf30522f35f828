// Decodes an HPACK Huffman-coded string (RFC 7541 5.2) with a binary tree built once
// from the Appendix B table; rejects EOS, and padding that is longer than 7 bits or not all 1s.
import { HUFFMAN_CODE_BITS, HUFFMAN_CODES } from './hpack-huffman-table.js';
import { Http2InputError } from './http2-input-error.js';

const PADDING_BITS_MAX = 7;
const NO_CHILD = -1;

/** Node i has children at [2i] (bit 0) and [2i+1] (bit 1); symbols at symbolOf[i] (-1: inner node). */
interface HuffmanTree {
  readonly children: Int32Array;
  readonly symbolOf: Int32Array;
}

const tree = buildTree();

function buildTree(): HuffmanTree {
  // A complete prefix code over 257 symbols has 2 * 257 - 1 nodes; EOS's path stays unbuilt.
  const nodesMax = 2 * 257;
  const children = new Int32Array(nodesMax * 2).fill(NO_CHILD);
  const symbolOf = new Int32Array(nodesMax).fill(NO_CHILD);
  let nodes = 1;
  for (let symbol = 0; symbol < HUFFMAN_CODES.length; symbol += 1) {
    const code = HUFFMAN_CODES[symbol] ?? 0;
    const bits = HUFFMAN_CODE_BITS[symbol] ?? 0;
    let node = 0;
    for (let bit = bits - 1; bit >= 0; bit -= 1) {
      const slot = node * 2 + ((code >>> bit) & 1);
      if (children[slot] === NO_CHILD) {
        children[slot] = nodes;
        nodes += 1;
      }
      node = children[slot] ?? NO_CHILD;
    }
    symbolOf[node] = symbol;
  }
  return { children, symbolOf };
}

export function huffmanDecode(input: Uint8Array): Buffer {
  // Every code is at least 5 bits, so the output is at most 8/5 of the input.
  const output = Buffer.allocUnsafe(Math.ceil((input.length * 8) / 5));
  let written = 0;
  let node = 0;
  let bitsSinceSymbol = 0;
  let allOnesSinceSymbol = true;
  for (const byte of input) {
    for (let bit = 7; bit >= 0; bit -= 1) {
      const value = (byte >>> bit) & 1;
      const next = tree.children[node * 2 + value] ?? NO_CHILD;
      if (next === NO_CHILD) throw new Http2InputError('invalid Huffman code (EOS or unused prefix)');
      bitsSinceSymbol += 1;
      allOnesSinceSymbol &&= value === 1;
      const symbol = tree.symbolOf[next] ?? NO_CHILD;
      if (symbol === NO_CHILD) {
        node = next;
        continue;
      }
      output[written] = symbol;
      written += 1;
      node = 0;
      bitsSinceSymbol = 0;
      allOnesSinceSymbol = true;
    }
  }
  if (bitsSinceSymbol > PADDING_BITS_MAX || !allOnesSinceSymbol) throw new Http2InputError('invalid Huffman padding');
  return output.subarray(0, written);
}
