// Runs Python snippets with the system python3 (which has the python-etcd3 client)
// and returns the JSON value the snippet prints on its last line.
import { runCommand } from './run-command.js';

export const PYTHON_BINARY = '/usr/bin/python3';

export interface PythonOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
}

export async function runPython(script: string, options: PythonOptions = {}): Promise<unknown> {
  const result = await runCommand(PYTHON_BINARY, ['-c', script], options);
  if (result.code !== 0) throw new Error(`python3 exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
  const lines = result.stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`python3 did not print JSON last:\n${result.stdout}\n${result.stderr}`);
  }
}

// Shared prelude: a client `c` on the endpoint, `s()` to turn bytes into text and
// `meta()` to flatten python-etcd3's KVMetadata into a dict.
const ETCD3_PRELUDE = `
import json, os, sys, etcd3
_host, _port = os.environ['ETCD_ENDPOINT'].rsplit(':', 1)
c = etcd3.client(host=_host, port=int(_port), timeout=10)
def s(b):
    return None if b is None else b.decode('utf-8', 'backslashreplace')
def meta(m):
    if m is None:
        return None
    return {'key': s(m.key), 'create_revision': m.create_revision, 'mod_revision': m.mod_revision,
            'version': m.version, 'lease_id': m.lease_id}
def out(value):
    c.close()
    print(json.dumps(value))
`;

/**
 * Runs `body` with python-etcd3 connected to `endpoint`; the body must end by calling
 * out(value), which closes the client and prints value as JSON.
 */
export function runPythonEtcd(endpoint: string, body: string, options: PythonOptions = {}): Promise<unknown> {
  return runPython(`${ETCD3_PRELUDE}\n${body}`, { ...options, env: { ...(options.env ?? {}), ETCD_ENDPOINT: endpoint } });
}
