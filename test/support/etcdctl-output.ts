// Reads etcdctl's -w json output: base64 keys and values, numbers that may be absent
// when zero (Go's omitempty), and the last error line it prints on failure.

export interface JsonKv {
  key: string;
  value: string;
  create_revision: number;
  mod_revision: number;
  version: number;
  lease: number;
}

function field(record: unknown, name: string): unknown {
  return typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[name] : undefined;
}

function numberField(record: unknown, name: string): number {
  const value = field(record, name);
  return typeof value === 'number' ? value : 0;
}

function base64Field(record: unknown, name: string): string {
  const value = field(record, name);
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '';
}

/** The kvs of a get/del/put -w json answer, decoded; missing numbers read as 0 like Go's. */
export function decodeKvs(list: unknown): JsonKv[] {
  if (!Array.isArray(list)) return [];
  return list.map((kv: unknown) => ({
    key: base64Field(kv, 'key'),
    value: base64Field(kv, 'value'),
    create_revision: numberField(kv, 'create_revision'),
    mod_revision: numberField(kv, 'mod_revision'),
    version: numberField(kv, 'version'),
    lease: numberField(kv, 'lease'),
  }));
}

/** A path of names into parsed JSON; undefined when any step is missing. */
export function pick(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const step of path) current = field(current, String(step));
  return current;
}

/** A numeric JSON field where Go omits zero values. */
export function pickNumber(value: unknown, ...path: (string | number)[]): number {
  const found = pick(value, ...path);
  return typeof found === 'number' ? found : 0;
}

/** etcdctl prints client retry warnings before its error; the user-facing line is the last. */
export function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1] ?? '';
}
