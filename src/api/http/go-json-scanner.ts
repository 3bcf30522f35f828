// Reads JSON bytes the way Go's encoding/json does, into a tree that keeps what
// jsonpb looks at (number literals, the raw text inside quotes), and fails with Go's
// exact syntax error texts: etcd's gateway sends them to the client verbatim.
import { GoJsonError, quoteGoChar, unquoteGoString } from './go-json-text.js';

export type JsonNode =
  | { readonly kind: 'object'; readonly entries: Map<string, JsonNode> }
  | { readonly kind: 'array'; readonly items: JsonNode[] }
  /** bytes: the unescaped UTF-8; raw: the text between the quotes, as sent. */
  | { readonly kind: 'string'; readonly bytes: Buffer; readonly raw: Buffer }
  | { readonly kind: 'number'; readonly literal: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' };

/** Go's bound on nested objects and arrays. */
const NESTING_DEPTH_MAX = 10_000;

type Container =
  | { kind: 'object'; entries: Map<string, JsonNode>; key: string | undefined; start: number }
  | { kind: 'array'; items: JsonNode[]; start: number };

type State =
  | 'value' | 'objectKeyOrEnd' | 'objectKey' | 'afterKey' | 'afterObjectValue' | 'arrayValueOrEnd' | 'afterArrayValue'
  | 'string' | 'escape' | 'hex' | 'minus' | 'zero' | 'integer' | 'dot' | 'fraction' | 'exponentStart' | 'exponentSign'
  | 'exponent' | 'literal' | 'done';

const LITERALS: Readonly<Record<string, { word: string; node: JsonNode }>> = {
  t: { word: 'true', node: { kind: 'bool', value: true } },
  f: { word: 'false', node: { kind: 'bool', value: false } },
  n: { word: 'null', node: { kind: 'null' } },
};

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const NUMBER_ENDABLE: ReadonlySet<State> = new Set(['zero', 'integer', 'fraction', 'exponent']);

/** The outcome of reading one value from the front of a buffer. */
export type ScanResult =
  | { readonly kind: 'value'; readonly node: JsonNode; readonly end: number }
  /** Only whitespace (Go's io.EOF). */
  | { readonly kind: 'empty' }
  /** The buffer ends inside a value. */
  | { readonly kind: 'incomplete' };

class Scanner {
  private state: State = 'value';
  private readonly stack: Container[] = [];
  private tokenStart = 0;
  private hexLeft = 0;
  private literal = '';
  private literalAt = 0;
  /** The string being scanned has an escape or a non-ASCII byte, so its bytes differ from its raw text. */
  private stringNeedsUnquote = false;
  private result: JsonNode | undefined;

  constructor(private input: Buffer) {}

  /** More bytes of the same stream: `longer` starts with every byte scanned so far. */
  extend(longer: Buffer): void {
    this.input = longer;
  }

  /** Nothing but whitespace seen yet (Go's io.EOF if the input ends here). */
  isBlank(): boolean {
    return this.state === 'value' && this.stack.length === 0;
  }

  /** Steps through input from `from`; returns the offset just past the first complete value, or -1. */
  run(from: number): number {
    for (let i = from; i < this.input.length; i++) {
      if (this.state === 'string') i = this.skipPlainStringBytes(i);
      if (i >= this.input.length) break;
      const reprocess = this.step(this.input[i] ?? 0, i);
      if (this.state === 'done') return reprocess ? i : i + 1;
      if (reprocess) i--;
    }
    return -1;
  }

  /** Inside a string, runs past the bytes that need no attention (most of a long base64 value) in one tight loop. */
  private skipPlainStringBytes(from: number): number {
    const input = this.input;
    let i = from;
    for (; i < input.length; i++) {
      const c = input[i] ?? 0;
      if (c === 0x22 || c === 0x5c || c < 0x20) break;
      if (c >= 0x80) this.stringNeedsUnquote = true;
    }
    return i;
  }

  /** At the end of input: a top-level number is complete there. */
  finishAtEnd(): JsonNode | undefined {
    if (this.stack.length === 0 && NUMBER_ENDABLE.has(this.state)) {
      this.complete({ kind: 'number', literal: this.input.subarray(this.tokenStart).toString('latin1') });
    }
    return this.result;
  }

  /** The error Go's scanner reports when it sees one more space at the end (json.Unmarshal's eof()). */
  errorAtEnd(): GoJsonError {
    const context = this.contextFor(0x20);
    return new GoJsonError(context === undefined ? 'unexpected end of JSON input' : `invalid character ' ' ${context}`);
  }

  private contextFor(c: number): string | undefined {
    switch (this.state) {
      case 'minus': return isDigit(c) ? undefined : 'in numeric literal';
      case 'dot': return isDigit(c) ? undefined : 'after decimal point in numeric literal';
      case 'exponentStart': case 'exponentSign': return isDigit(c) ? undefined : 'in exponent of numeric literal';
      case 'escape': return 'in string escape code';
      case 'hex': return 'in \\u hexadecimal character escape';
      case 'literal': return `in literal ${this.literal} (expecting ${quoteGoChar(this.literal.charCodeAt(this.literalAt))})`;
      default: return undefined;
    }
  }

  private fail(c: number, context: string): never {
    throw new GoJsonError(`invalid character ${quoteGoChar(c)} ${context}`);
  }

  /** One byte; returns true when the byte must be looked at again in the new state. */
  private step(c: number, at: number): boolean {
    switch (this.state) {
      case 'value': return this.beginValue(c, at);
      case 'objectKeyOrEnd':
        if (isSpace(c)) return false;
        if (c === 0x7d) return this.closeContainer();
        this.state = 'objectKey';
        return true;
      case 'objectKey':
        if (isSpace(c)) return false;
        if (c !== 0x22) this.fail(c, 'looking for beginning of object key string');
        return this.beginString(at);
      case 'afterKey':
        if (isSpace(c)) return false;
        if (c !== 0x3a) this.fail(c, 'after object key');
        this.state = 'value';
        return false;
      case 'afterObjectValue':
        if (isSpace(c)) return false;
        if (c === 0x2c) this.state = 'objectKey';
        else if (c === 0x7d) return this.closeContainer();
        else this.fail(c, 'after object key:value pair');
        return false;
      case 'arrayValueOrEnd':
        if (isSpace(c)) return false;
        if (c === 0x5d) return this.closeContainer();
        this.state = 'value';
        return true;
      case 'afterArrayValue':
        if (isSpace(c)) return false;
        if (c === 0x2c) this.state = 'value';
        else if (c === 0x5d) return this.closeContainer();
        else this.fail(c, 'after array element');
        return false;
      default: return this.stepToken(c, at);
    }
  }

  private beginValue(c: number, at: number): boolean {
    if (isSpace(c)) return false;
    this.tokenStart = at;
    if (c === 0x7b || c === 0x5b) {
      if (this.stack.length >= NESTING_DEPTH_MAX) this.fail(c, 'exceeded max depth');
      this.stack.push(c === 0x7b ? { kind: 'object', entries: new Map(), key: undefined, start: at } : { kind: 'array', items: [], start: at });
      this.state = c === 0x7b ? 'objectKeyOrEnd' : 'arrayValueOrEnd';
      return false;
    }
    if (c === 0x22) return this.beginString(at);
    if (c === 0x2d) this.state = 'minus';
    else if (c === 0x30) this.state = 'zero';
    else if (isDigit(c)) this.state = 'integer';
    else {
      const literal = LITERALS[String.fromCharCode(c)];
      if (literal === undefined) this.fail(c, 'looking for beginning of value');
      this.literal = literal.word;
      this.literalAt = 1;
      this.state = 'literal';
    }
    return false;
  }

  private beginString(at: number): boolean {
    this.tokenStart = at;
    this.stringNeedsUnquote = false;
    this.state = 'string';
    return false;
  }

  private stepToken(c: number, at: number): boolean {
    switch (this.state) {
      case 'string':
        if (c === 0x22) this.complete(this.stringNode(at));
        else if (c === 0x5c) {
          this.state = 'escape';
          this.stringNeedsUnquote = true;
        }
        else if (c < 0x20) this.fail(c, 'in string literal');
        return false;
      case 'escape':
        if (c === 0x75) {
          this.state = 'hex';
          this.hexLeft = 4;
        } else if ('bfnrt\\/"'.includes(String.fromCharCode(c))) this.state = 'string';
        else this.fail(c, 'in string escape code');
        return false;
      case 'hex':
        if (!isHex(c)) this.fail(c, 'in \\u hexadecimal character escape');
        if (--this.hexLeft === 0) this.state = 'string';
        return false;
      case 'literal':
        if (c !== this.literal.charCodeAt(this.literalAt)) this.fail(c, this.contextFor(c) ?? '');
        if (++this.literalAt === this.literal.length) this.complete((LITERALS[this.literal.charAt(0)] as { node: JsonNode }).node);
        return false;
      default: return this.stepNumber(c, at);
    }
  }

  private stepNumber(c: number, at: number): boolean {
    const context = this.contextFor(c);
    if (context !== undefined) this.fail(c, context);
    const next = nextNumberState(this.state, c);
    if (next !== undefined) {
      this.state = next;
      return false;
    }
    this.complete({ kind: 'number', literal: this.input.subarray(this.tokenStart, at).toString('latin1') });
    return true;
  }

  private stringNode(closingQuote: number): JsonNode {
    const raw = this.input.subarray(this.tokenStart + 1, closingQuote);
    return { kind: 'string', raw, bytes: this.stringNeedsUnquote ? unquoteGoString(raw) : raw };
  }

  private closeContainer(): boolean {
    const container = this.stack.pop();
    if (container === undefined) throw new Error('closing a container that was never opened');
    this.complete(container.kind === 'object' ? { kind: 'object', entries: container.entries } : { kind: 'array', items: container.items });
    return false;
  }

  private complete(node: JsonNode): void {
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) {
      this.result = node;
      this.state = 'done';
    } else if (parent.kind === 'array') {
      parent.items.push(node);
      this.state = 'afterArrayValue';
    } else if (parent.key === undefined) {
      parent.key = node.kind === 'string' ? node.bytes.toString('utf8') : '';
      this.state = 'afterKey';
    } else {
      parent.entries.set(parent.key, node);
      parent.key = undefined;
      this.state = 'afterObjectValue';
    }
  }
}

function nextNumberState(state: State, c: number): State | undefined {
  switch (state) {
    case 'minus': return c === 0x30 ? 'zero' : 'integer';
    case 'zero': return c === 0x2e ? 'dot' : c === 0x65 || c === 0x45 ? 'exponentStart' : undefined;
    case 'integer':
      if (isDigit(c)) return 'integer';
      return c === 0x2e ? 'dot' : c === 0x65 || c === 0x45 ? 'exponentStart' : undefined;
    case 'dot': return 'fraction';
    case 'fraction':
      if (isDigit(c)) return 'fraction';
      return c === 0x65 || c === 0x45 ? 'exponentStart' : undefined;
    case 'exponentStart': return c === 0x2b || c === 0x2d ? 'exponentSign' : 'exponent';
    case 'exponentSign': return 'exponent';
    case 'exponent': return isDigit(c) ? 'exponent' : undefined;
    default: return undefined;
  }
}

/**
 * Go's json.Decoder reading one value from the front of `input` (what follows it is
 * left unread). With `atEnd`, the input is the whole body: a value cut short is Go's
 * "unexpected EOF"; without, it is 'incomplete' and the caller waits for more bytes.
 */
export function scanFirstValue(input: Buffer, atEnd: boolean): ScanResult {
  const scanner = new Scanner(input);
  const end = scanner.run(0);
  if (end >= 0) return { kind: 'value', node: scanner.finishAtEnd() as JsonNode, end };
  if (atEnd) {
    const node = scanner.finishAtEnd();
    if (node !== undefined) return { kind: 'value', node, end: input.length };
  }
  if (scanner.isBlank()) return { kind: 'empty' };
  if (atEnd) throw new GoJsonError('unexpected EOF');
  return { kind: 'incomplete' };
}

/** The first capacity of a stream's buffer; it doubles as bytes arrive. */
const STREAM_BUFFER_INITIAL_BYTES = 4096;

/**
 * Go's json.Decoder over a request stream: values are read one after another as bytes
 * arrive, and each byte is scanned once however the stream is cut into chunks.
 */
export class JsonStreamScanner {
  private store = Buffer.alloc(STREAM_BUFFER_INITIAL_BYTES);
  private length = 0;
  private scanned = 0;
  private scanner = new Scanner(Buffer.alloc(0));

  /** Bytes held for the value not yet complete. */
  pendingBytes(): number {
    return this.length;
  }

  /** Appends bytes and hands over each value they complete, in order; throws GoJsonError at the first malformed one. */
  push(chunk: Buffer, onValue: (node: JsonNode) => void): void {
    this.append(chunk);
    // Bounded: each turn consumes at least one byte, or ends.
    for (;;) {
      const end = this.scanner.run(this.scanned);
      if (end < 0) {
        this.scanned = this.length;
        if (this.scanner.isBlank() && this.length > 0) this.restartAt(this.length);
        return;
      }
      onValue(this.scanner.finishAtEnd() as JsonNode);
      this.restartAt(end);
    }
  }

  /** The stream ended: a top-level number ends here; a value still open is Go's "unexpected EOF". */
  end(): JsonNode | undefined {
    if (this.scanner.isBlank()) return undefined;
    const node = this.scanner.finishAtEnd();
    if (node === undefined) throw new GoJsonError('unexpected EOF');
    return node;
  }

  private append(chunk: Buffer): void {
    if (this.length + chunk.length > this.store.length) {
      // Completed values keep views of the old store, so it is replaced, never reused.
      const grown = Buffer.alloc(Math.max(this.store.length * 2, this.length + chunk.length));
      this.store.copy(grown, 0, 0, this.length);
      this.store = grown;
    }
    chunk.copy(this.store, this.length);
    this.length += chunk.length;
    this.scanner.extend(this.store.subarray(0, this.length));
  }

  /** Drops the bytes before `offset` and starts a fresh value there. */
  private restartAt(offset: number): void {
    const rest = this.store.subarray(offset, this.length);
    const store = Buffer.alloc(Math.max(STREAM_BUFFER_INITIAL_BYTES, rest.length));
    rest.copy(store);
    this.store = store;
    this.length = rest.length;
    this.scanned = 0;
    this.scanner = new Scanner(this.store.subarray(0, this.length));
  }
}

/** Go's json.Unmarshal of `input` as one value: anything but whitespace after it is an error. */
export function scanWholeValue(input: Buffer): JsonNode {
  const scanner = new Scanner(input);
  const end = scanner.run(0);
  if (end < 0) {
    const node = scanner.finishAtEnd();
    if (node === undefined) throw scanner.errorAtEnd();
    return node;
  }
  for (let i = end; i < input.length; i++) {
    const c = input[i] ?? 0;
    if (!isSpace(c)) throw new GoJsonError(`invalid character ${quoteGoChar(c)} after top-level value`);
  }
  return scanner.finishAtEnd() as JsonNode;
}
