// `etcd-ts snapshot restore|status` without the server: bin/etcd-ts starts here
// for snapshot commands, so a restore loads only the snapshot, bbolt and backend
// modules (about half the CPU of loading the whole server before it starts).
import { snapshotCommand } from './snapshot-command.js';

const SNAPSHOT_ARGS_FROM = 3; // node, bin/etcd-ts, 'snapshot', ...

snapshotCommand(process.argv.slice(SNAPSHOT_ARGS_FROM)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
