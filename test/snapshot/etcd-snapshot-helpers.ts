// Shared steps for tests that move snapshots between real etcd and etcd-ts: the
// etcdctl commands a user would run, with their outputs parsed.
import assert from 'node:assert/strict';
import { BboltReader } from '../../src/bbolt/bbolt-reader.js';
import { ETCDCTL_BINARY, etcdctlOk } from '../support/etcdctl.js';
import { freePort } from '../support/free-port.js';
import { runCommand } from '../support/run-command.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

export interface CtlStatus {
  readonly hash: number;
  readonly revision: number;
  readonly totalKey: number;
  readonly totalSize: number;
}

const SNAPSHOT_COMMAND_TIMEOUT_MS = 60_000;

export async function snapshotSave(endpoint: string, path: string): Promise<void> {
  await etcdctlOk(endpoint, ['snapshot', 'save', path], { timeoutMs: SNAPSHOT_COMMAND_TIMEOUT_MS });
}

/** `etcdctl snapshot status -w json`, which opens the file with bbolt and runs its consistency check. */
export async function snapshotStatus(path: string): Promise<CtlStatus> {
  const result = await runCommand(ETCDCTL_BINARY, ['snapshot', 'status', '-w', 'json', path], {
    env: { ETCDCTL_API: '3' },
    timeoutMs: SNAPSHOT_COMMAND_TIMEOUT_MS,
  });
  assert.equal(result.code, 0, `snapshot status failed: ${result.stderr}`);
  const parsed: unknown = JSON.parse(result.stdout);
  assert.ok(typeof parsed === 'object' && parsed !== null);
  const record = parsed as Record<string, unknown>;
  const num = (name: string): number => {
    const value = record[name];
    assert.equal(typeof value, 'number', `status field ${name}`);
    return value as number;
  };
  return { hash: num('hash'), revision: num('revision'), totalKey: num('totalKey'), totalSize: num('totalSize') };
}

/** Every bucket's entries as hex pairs, as the reader sees them. */
export function readAllBuckets(reader: BboltReader): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  for (const bucket of reader.buckets()) {
    out.set(bucket, [...reader.entries(bucket)].map(([k, v]) => [k.toString('hex'), v.toString('hex')]));
  }
  return out;
}

/** `etcdctl snapshot restore` into `dataDir` (which must not exist), then real etcd started on it. */
export async function restoreIntoEtcd(snapshotPath: string, dataDir: string): Promise<ServerProcess> {
  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  const result = await runCommand(
    ETCDCTL_BINARY,
    ['snapshot', 'restore', snapshotPath, `--data-dir=${dataDir}`, '--name=compat', `--initial-cluster=compat=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`],
    { env: { ETCDCTL_API: '3' }, timeoutMs: SNAPSHOT_COMMAND_TIMEOUT_MS },
  );
  assert.equal(result.code, 0, `snapshot restore failed: ${result.stderr}`);
  // A restored member keeps its membership from the restore; the helper's own
  // --data-dir is replaced by this one, since flags parse left to right.
  return startServer({ target: 'etcd', name: 'compat', args: [`--data-dir=${dataDir}`] });
}
