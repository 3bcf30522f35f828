// Loads --config-file: etcd's YAML keys decoded with the type rules and error texts etcd
// shows (YAML read as JSON into a Go struct); unknown keys are ignored, as etcd ignores them.
import { parseAllDocuments, YAMLParseError } from 'yaml';
import { type FlagDefinition, FLAG_DEFINITIONS } from './flag-definitions.js';
import { type FlagType, type FlagValue } from './flag-value.js';
import { parseEtcdUrlList } from './etcd-urls.js';
import { integerRange } from './go-values.js';
import { decodeTlsConfigKey } from './tls-flags.js';
import { UNSUPPORTED_ETCD_CONFIG_KEYS } from './unsupported-etcd-keys.js';

export type ReadFile = (path: string) => string;

export type ConfigFileResult =
  | { readonly kind: 'loaded'; readonly values: ReadonlyMap<string, FlagValue>; readonly warnings: readonly string[] }
  | { readonly kind: 'error'; readonly message: string };

// Go reports a config file it cannot read with the failing syscall and errno text.
const ERRNO_TEXT: ReadonlyMap<string, string> = new Map([
  ['ENOENT', 'no such file or directory'],
  ['EACCES', 'permission denied'],
  ['EISDIR', 'is a directory'],
  ['ENOTDIR', 'not a directory'],
]);

function readFailure(path: string, error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const text = ERRNO_TEXT.get(code) ?? (error instanceof Error ? error.message : String(error));
  return `${code === 'EISDIR' ? 'read' : 'open'} ${path}: ${text}`;
}

function yamlFailure(error: unknown): string {
  if (error instanceof YAMLParseError) {
    const line = error.linePos?.[0]?.line ?? 0;
    const reason = error.message.split(' at line ')[0] ?? error.message;
    return `error converting YAML to JSON: yaml: line ${line}: ${reason}`;
  }
  return `error converting YAML to JSON: ${error instanceof Error ? error.message : String(error)}`;
}

/** The JSON kind Go names in "cannot unmarshal <kind> into ...". */
function jsonKind(raw: unknown): string {
  if (typeof raw === 'string' || raw instanceof Date || raw instanceof Uint8Array) return 'string';
  if (typeof raw === 'number' || typeof raw === 'bigint') return 'number';
  if (typeof raw === 'boolean') return 'bool';
  if (Array.isArray(raw)) return 'array';
  return 'object';
}

function goTypeName(type: FlagType): string {
  switch (type.kind) {
    case 'bool':
      return 'bool';
    case 'integer':
      return type.goType;
    case 'duration':
      return 'time.Duration';
    case 'string-set':
      return '[]string';
    case 'string':
    case 'choice':
    case 'urls':
      return 'string';
  }
}

/** A decoded value, or what Go would complain about (the JSON kind, and the Go type when it is an element's). */
type Decoded = { readonly value: FlagValue } | { readonly mismatch: string; readonly elementType?: string };

function decodeInteger(raw: unknown, type: FlagType & { kind: 'integer' | 'duration' }): Decoded {
  if (typeof raw !== 'number') return { mismatch: jsonKind(raw) };
  const range = integerRange(type.kind === 'integer' ? type.goType : 'int64');
  if (!Number.isInteger(raw) || BigInt(raw) < range.min || BigInt(raw) > range.max) return { mismatch: `number ${String(raw)}` };
  const value = BigInt(raw);
  return { value: type.kind === 'integer' ? { kind: 'integer', value } : { kind: 'duration', nanoseconds: value } };
}

function decodeValue(raw: unknown, type: FlagType): Decoded {
  switch (type.kind) {
    case 'string':
    case 'choice':
    case 'urls':
      // URL lists are comma strings in the file; they are parsed after decoding, as etcd does.
      return typeof raw === 'string' ? { value: { kind: 'text', text: raw } } : { mismatch: jsonKind(raw) };
    case 'bool':
      return typeof raw === 'boolean' ? { value: { kind: 'bool', value: raw } } : { mismatch: jsonKind(raw) };
    case 'integer':
    case 'duration':
      return decodeInteger(raw, type);
    case 'string-set': {
      if (!Array.isArray(raw)) return { mismatch: jsonKind(raw) };
      const items: string[] = [];
      for (const item of raw) {
        if (typeof item !== 'string') return { mismatch: jsonKind(item), elementType: 'string' };
        items.push(item);
      }
      return { value: { kind: 'list', items } };
    }
  }
}

// Go's JSON decoding prefers an exact key and falls back to a case-insensitive one.
function definitionForKey(key: string): FlagDefinition | undefined {
  return (
    FLAG_DEFINITIONS.find((def) => def.configKey === key) ??
    FLAG_DEFINITIONS.find((def) => def.configKey !== null && def.configKey.toLowerCase() === key.toLowerCase())
  );
}

function mismatchMessage(def: FlagDefinition, kind: string, elementType: string | undefined): string {
  const typeName = elementType ?? goTypeName(def.type);
  return `json: cannot unmarshal ${kind} into Go struct field configYAML.${def.configKey ?? def.name} of type ${typeName}`;
}

function decodeDocument(document: Record<string, unknown>): ConfigFileResult {
  const values = new Map<string, FlagValue>();
  const warnings: string[] = [];
  let firstError: string | undefined;
  for (const [key, raw] of Object.entries(document)) {
    const tls = decodeTlsConfigKey(key, raw);
    if (tls !== undefined) {
      if ('error' in tls) firstError ??= tls.error;
      else for (const [name, value] of tls.values) values.set(name, value);
      continue;
    }
    const def = definitionForKey(key);
    if (def === undefined) {
      if (UNSUPPORTED_ETCD_CONFIG_KEYS.has(key.toLowerCase())) warnings.push(`config file key ${JSON.stringify(key)} is not supported by etcd-ts yet and is ignored`);
      continue;
    }
    if (raw === null || raw === undefined) continue;
    const decoded = decodeValue(raw, def.type);
    if ('mismatch' in decoded) {
      firstError ??= mismatchMessage(def, decoded.mismatch, decoded.elementType);
      continue;
    }
    values.set(def.name, decoded.value);
  }
  if (firstError !== undefined) return { kind: 'error', message: `error unmarshaling JSON: while decoding JSON: ${firstError}` };
  return { kind: 'loaded', values, warnings };
}

// etcd names the advertise-client-urls key "advertise-peer-urls" in this one message.
const URL_KEYS: readonly (readonly [string, string])[] = [
  ['listen-peer-urls', 'listen-peer-urls'],
  ['listen-client-urls', 'listen-client-urls'],
  ['initial-advertise-peer-urls', 'initial-advertise-peer-urls'],
  ['advertise-client-urls', 'advertise-peer-urls'],
];

function convertUrlLists(values: Map<string, FlagValue>): string | undefined {
  for (const [name, label] of URL_KEYS) {
    const value = values.get(name);
    if (value?.kind !== 'text') continue;
    if (value.text === '') {
      values.delete(name);
      continue;
    }
    const urls = parseEtcdUrlList(value.text);
    if ('error' in urls) return `unexpected error setting up ${label}: ${urls.error}`;
    values.set(name, { kind: 'urls', urls });
  }
  return undefined;
}

// etcd reads YAML 1.1 (yes/no/on/off are booleans), lets a repeated key win and, like Go's
// yaml package, only looks at the first document of the stream.
function firstYamlDocument(text: string): unknown {
  const documents = parseAllDocuments(text, { version: '1.1', uniqueKeys: false });
  const first = Array.isArray(documents) ? documents[0] : undefined;
  if (first === undefined) return null;
  const error = first.errors[0];
  if (error !== undefined) throw error;
  return first.toJS();
}

/** embed.ConfigFromFile: the values the file sets (everything else keeps its default). */
export function loadConfigFile(path: string, readFile: ReadFile): ConfigFileResult {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    return { kind: 'error', message: readFailure(path, error) };
  }
  let document: unknown;
  try {
    document = firstYamlDocument(text);
  } catch (error) {
    return { kind: 'error', message: yamlFailure(error) };
  }
  if (document === null || document === undefined) return { kind: 'loaded', values: new Map(), warnings: [] };
  if (typeof document !== 'object' || Array.isArray(document)) {
    return { kind: 'error', message: `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(document)} into Go value of type embed.configYAML` };
  }
  const decoded = decodeDocument(document as Record<string, unknown>);
  if (decoded.kind === 'error') return decoded;
  const values = new Map(decoded.values);
  const urlError = convertUrlLists(values);
  if (urlError !== undefined) return { kind: 'error', message: urlError };
  // An empty state in the file means a new cluster, as in etcd.
  const state = values.get('initial-cluster-state');
  if (state?.kind === 'text' && state.text === '') values.set('initial-cluster-state', { kind: 'text', text: 'new' });
  return { kind: 'loaded', values, warnings: decoded.warnings };
}
