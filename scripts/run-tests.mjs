// Builds the project and runs every test file under dist/test with node's test
// runner. Optional arguments narrow the run to files whose path contains them.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});

const testRoot = join(root, 'dist', 'test');
const filters = process.argv.slice(2);
const files = existsSync(testRoot)
  ? readdirSync(testRoot, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.test.js'))
      .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
      .sort()
      .map((f) => join(testRoot, f))
  : [];
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
