// Watch delivery latency, etcd-ts next to Debian's etcd: runs the watch latency
// measurement (16 and 1,000 watchers on one key, with and without a stalled stream)
// against each server as a separate process and prints the lines it reports.
// Needs a build (npm run build). Usage: npm run bench:watch
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const testFile = join(root, 'dist', 'test', 'watch', 'watch-latency.test.js');
for (const target of ['etcd', 'etcd-ts']) {
  const run = spawnSync(process.execPath, ['--test', testFile], {
    env: { ...process.env, ETCD_TS_TARGET: target, WATCH_OUT_OF_PROCESS: '1' },
    encoding: 'utf8',
    timeout: 600_000,
  });
  const lines = `${run.stdout}`.split('\n').filter((line) => line.includes('->event'));
  console.log(`== ${target}${run.status === 0 ? '' : ` (exit ${run.status})`}`);
  for (const line of lines) console.log(line.replace(/^# /, ''));
}
