// Reads a gateway request body into a ts-proto message object the way etcd's gateway
// does (grpc-gateway's JSONPb over golang/protobuf 1.3 jsonpb with unknown fields
// allowed): the same values accepted, the same refused, with Go's error texts. It walks
// the generated message descriptors, field by field in declaration order, so the first
// bad field it meets is the one Go reports.
import { ERROR_TABLE } from '../../errors/error-table.js';
import { ENUM_DESCRIPTORS, MESSAGE_DESCRIPTORS, type FieldDescriptor } from '../../generated/message-descriptors.js';
import { decodeGoBase64 } from './go-base64.js';
import { scanFirstValue, scanWholeValue, type JsonNode } from './go-json-scanner.js';
import { GoJsonError, goQuote } from './go-json-text.js';

export type ProtoObject = Record<string, unknown>;

/**
 * A body on which etcd's gateway panics (a null inside a repeated message field):
 * Go's HTTP server drops the connection without an answer, and so does ours.
 */
export class GatewayPanicError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayPanicError';
  }
}

/**
 * Messages nest through their fields (a txn in a txn); deeper than this is refused rather than recursed.
 * etcd decodes any depth, then refuses a txn nested past --max-txn-ops (128: about 260 levels) with
 * InvalidArgument "too many operations in txn request", which is what this depth is answered with.
 */
const MESSAGE_DEPTH_MAX = 512;

const INT_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint8: [0n, 255n],
};
const FLOAT_GO_NAMES: Readonly<Record<string, string>> = { double: 'float64', float: 'float32' };
const NON_FINITE: Readonly<Record<string, number>> = { '"Infinity"': Infinity, '"-Infinity"': -Infinity, '"NaN"': NaN };
const FLOAT32_MAX = 3.4028234663852886e38;

/** The whole body of a unary or server-streaming call: only its first JSON value counts, as with Go's decoder. */
export function readRequestBody(body: Buffer, typeName: string): ProtoObject {
  const scanned = scanFirstValue(body, true);
  return scanned.kind === 'value' ? readRequestValue(scanned.node, typeName) : {};
}

/** One JSON value as a request message; null is the empty message. */
export function readRequestValue(node: JsonNode, typeName: string): ProtoObject {
  return node.kind === 'null' ? {} : readMessage(node, typeName, 0);
}

function kindName(node: JsonNode): string {
  return node.kind === 'null' ? 'null' : node.kind;
}

function typeError(node: JsonNode, goType: string): GoJsonError {
  return new GoJsonError(`json: cannot unmarshal ${kindName(node)} into Go value of type ${goType}`);
}

/** Go's name for a generated type: the package, then the nested names joined by '_'. */
function goTypeName(fullName: string, prefix = ''): string {
  const [pkg, ...rest] = fullName.split('.');
  return `${pkg}.${prefix}${rest.join('_')}`;
}

function goOneofTypeName(messageName: string, oneof: string): string {
  const camel = oneof.split('_').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
  return goTypeName(`${messageName}.${camel}`, 'is');
}

function descriptorOf(typeName: string): readonly FieldDescriptor[] {
  const fields = MESSAGE_DESCRIPTORS[typeName];
  if (fields === undefined) throw new Error(`no descriptor for message ${typeName}`);
  return fields;
}

/** jsonpb takes a field by its .proto name or its JSON name (the JSON name wins when both are sent). */
function consume(entries: Map<string, JsonNode>, proto: string, json: string): JsonNode | undefined {
  const byProto = entries.get(proto);
  const byJson = entries.get(json);
  entries.delete(proto);
  entries.delete(json);
  return byJson ?? byProto;
}

function readMessage(node: JsonNode, typeName: string, depth: number): ProtoObject {
  if (node.kind !== 'object') throw typeError(node, 'map[string]json.RawMessage');
  if (depth > MESSAGE_DEPTH_MAX) throw new GoJsonError(ERROR_TABLE.TooManyOps.message);
  const fields = descriptorOf(typeName);
  const entries = new Map(node.entries);
  const message: ProtoObject = {};
  const oneofsSeen = new Set<string>();
  for (const field of fields) {
    if (field.oneof !== undefined) {
      // The oneof itself is a Go struct field (an interface), at its first member's place.
      if (oneofsSeen.has(field.oneof)) continue;
      oneofsSeen.add(field.oneof);
      const value = consume(entries, field.oneof, field.oneof);
      if (value !== undefined && value.kind !== 'null') throw typeError(value, goOneofTypeName(typeName, field.oneof));
      continue;
    }
    const value = consume(entries, field.name, field.json);
    if (value === undefined) continue;
    const read = field.repeated === true ? readList(value, field, depth) : readSingle(value, field, depth);
    if (read !== undefined) message[field.property] = read;
  }
  // jsonpb reads oneof members after every plain field.
  for (const field of fields) {
    if (field.oneof === undefined || field.oneofProperty === undefined) continue;
    const value = consume(entries, field.name, field.json);
    if (value === undefined) continue;
    const read = readSingle(value, field, depth);
    // A null message member leaves the oneof empty on the wire; a null scalar sets its zero value.
    if (read === undefined && field.kind === 'message') delete message[field.oneofProperty];
    else message[field.oneofProperty] = { $case: field.property, value: read ?? zeroValue(field) };
  }
  return message;
}

function zeroValue(field: FieldDescriptor): unknown {
  switch (field.kind) {
    case 'int64': case 'uint64': return 0n;
    case 'bool': return false;
    case 'string': return '';
    case 'bytes': return Buffer.alloc(0);
    default: return 0;
  }
}

function readList(node: JsonNode, field: FieldDescriptor, depth: number): unknown[] | undefined {
  if (node.kind === 'null') return undefined;
  if (node.kind !== 'array') throw typeError(node, '[]json.RawMessage');
  return node.items.map((item) => {
    if (item.kind === 'null' && field.kind === 'message') {
      throw new GatewayPanicError(`null element in repeated message field ${field.name}`);
    }
    return readSingle(item, field, depth) ?? zeroValue(field);
  });
}

/** One value of a field; undefined where Go leaves the field as it was (null). */
function readSingle(node: JsonNode, field: FieldDescriptor, depth: number): unknown {
  switch (field.kind) {
    case 'message':
      return node.kind === 'null' ? undefined : readMessage(node, field.type ?? '', depth + 1);
    case 'enum':
      return readEnum(node, field.type ?? '');
    case 'bool':
      if (node.kind === 'null') return undefined;
      if (node.kind !== 'bool') throw typeError(node, 'bool');
      return node.value;
    case 'string':
      if (node.kind === 'null') return undefined;
      if (node.kind !== 'string') throw typeError(node, 'string');
      return node.bytes.toString('utf8');
    case 'bytes':
      return readBytes(node);
    case 'double': case 'float':
      return readFloat(node, field.kind);
    default:
      return readInteger(node.kind === 'string' ? scanWholeValue(node.raw) : node, field.kind);
  }
}

function readEnum(node: JsonNode, typeName: string): number | undefined {
  const goName = goTypeName(typeName);
  if (node.kind === 'string') {
    // jsonpb looks the name up as sent, escapes and all.
    const value = ENUM_DESCRIPTORS[typeName]?.[node.raw.toString('utf8')];
    if (value === undefined) throw new GoJsonError(`unknown value ${goQuote(node.raw)} for enum ${goName}`);
    return value;
  }
  const value = readIntegerAs(node, 'int32', goName);
  return value === undefined ? undefined : Number(value);
}

function readBytes(node: JsonNode): Buffer | undefined {
  if (node.kind === 'null') return undefined;
  if (node.kind === 'string') return decodeGoBase64(node.bytes);
  // Go's encoding/json also fills a []byte from an array of numbers.
  if (node.kind !== 'array') throw typeError(node, '[]uint8');
  return Buffer.from(node.items.map((item) => Number(readIntegerAs(item, 'uint8', 'uint8') ?? 0n)));
}

function readInteger(node: JsonNode, kind: string): unknown {
  const value = readIntegerAs(node, kind, kind);
  if (value === undefined) return undefined;
  return kind === 'int64' || kind === 'uint64' ? value : Number(value);
}

/** Go's strconv.ParseInt / ParseUint of a JSON number literal, with the target's range. */
function readIntegerAs(node: JsonNode, kind: string, goName: string): bigint | undefined {
  if (node.kind === 'null') return undefined;
  if (node.kind !== 'number') throw typeError(node, goName);
  const range = INT_RANGES[kind];
  if (range === undefined) throw new Error(`no integer range for ${kind}`);
  const pattern = range[0] < 0n ? /^-?\d+$/ : /^\d+$/;
  const value = pattern.test(node.literal) ? BigInt(node.literal) : undefined;
  if (value === undefined || value < range[0] || value > range[1]) {
    throw new GoJsonError(`json: cannot unmarshal number ${node.literal} into Go value of type ${goName}`);
  }
  return value;
}

function readFloat(node: JsonNode, kind: 'double' | 'float'): number | undefined {
  const goName = FLOAT_GO_NAMES[kind] ?? kind;
  if (node.kind === 'string') {
    const special = NON_FINITE[`"${node.raw.toString('latin1')}"`];
    if (special !== undefined) return special;
    return readFloat(scanWholeValue(node.raw), kind);
  }
  if (node.kind === 'null') return undefined;
  if (node.kind !== 'number') throw typeError(node, goName);
  const value = Number(node.literal);
  const limit = kind === 'float' ? FLOAT32_MAX : Number.MAX_VALUE;
  if (!Number.isFinite(value) || Math.abs(value) > limit) {
    throw new GoJsonError(`json: cannot unmarshal number ${node.literal} into Go value of type ${goName}`);
  }
  return value;
}
