// Request bodies, read with a bound: a unary gateway call's whole body, or a
// stream of JSON values (watch, keep-alive) split one value at a time.
import type { IncomingMessage } from 'node:http';

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
 * Splits concatenated JSON values (as Go's json.Decoder reads a body) at the end of
 * each top-level value. Each value may be at most limitBytes long.
 */
export class JsonValueSplitter {
  private pending = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scanned = 0;

  constructor(private readonly limitBytes: number) {}

  /** Feeds text; returns the complete values it closed. */
  push(text: string): string[] {
    this.pending += text;
    const values: string[] = [];
    for (; this.scanned < this.pending.length; this.scanned++) {
      const closed = this.scan(this.pending.charAt(this.scanned));
      if (!closed) continue;
      values.push(this.pending.slice(0, this.scanned + 1).trim());
      this.pending = this.pending.slice(this.scanned + 1);
      this.scanned = -1;
    }
    if (this.pending.length > this.limitBytes) throw new BodyTooLargeError(this.limitBytes);
    if (this.depth === 0 && this.pending.trim() === '') this.pending = '';
    this.scanned = this.pending.length;
    return values;
  }

  /** What is left when the body ends: a value never closed (or a bare scalar) is malformed. */
  rest(): string {
    return this.pending.trim();
  }

  private scan(char: string): boolean {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (char === '\\') this.escaped = true;
      else if (char === '"') this.inString = false;
      return false;
    }
    if (char === '"') this.inString = true;
    else if (char === '{' || char === '[') this.depth++;
    else if (char === '}' || char === ']') {
      this.depth--;
      return this.depth === 0;
    }
    return false;
  }
}
