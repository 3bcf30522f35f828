// Request bodies, read with a bound: a unary gateway call's whole body, or a
// stream of JSON values (watch, keep-alive) read one value at a time.
import type { IncomingMessage } from 'node:http';
import { JsonStreamScanner, type JsonNode } from './go-json-scanner.js';

export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export async function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limitBytes) throw new BodyTooLargeError(limitBytes);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total);
}

/**
 * The JSON values of a request stream (watch, keep-alive), read one after another as
 * Go's json.Decoder reads them: whitespace between values, anything else is a syntax
 * error. A value still open may be at most limitBytes long.
 */
export class JsonValueStream {
  private readonly scanner = new JsonStreamScanner();

  constructor(private readonly limitBytes: number) {}

  /**
   * Feeds bytes; returns the values they complete and, when one is malformed, Go's
   * error for it (the values before it still count, as Go's decoder returned them first).
   */
  push(chunk: Buffer): { values: JsonNode[]; error?: unknown } {
    const values: JsonNode[] = [];
    try {
      this.scanner.push(chunk, (node) => values.push(node));
      if (this.scanner.pendingBytes() > this.limitBytes) throw new BodyTooLargeError(this.limitBytes);
    } catch (error) {
      return { values, error };
    }
    return { values };
  }

  /** The body ended: a value still open is Go's "unexpected EOF"; a top-level number ends here. */
  end(): JsonNode | undefined {
    return this.scanner.end();
  }
}
