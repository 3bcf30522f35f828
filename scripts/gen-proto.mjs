// Generates the static protobuf codecs and gRPC service definitions in src/generated
// from the .proto files in proto/. Needs protoc (Debian: protobuf-compiler); the output
// is committed so installs never need it.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const protoDir = join(root, 'proto');
const outDir = join(root, 'src', 'generated');
const plugin = join(root, 'node_modules', '.bin', 'protoc-gen-ts_proto');

const files = readdirSync(protoDir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.proto'))
  .sort();

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const options = [
  'env=node',
  'forceLong=bigint',
  'outputServices=grpc-js',
  'esModuleInterop=true',
  'importSuffix=.js',
  'outputPartialMethods=true',
  'outputJsonMethods=true',
  'useExactTypes=false',
  'oneof=unions-value',
  'useDate=false',
].join(',');
execFileSync('protoc', [
  `--plugin=protoc-gen-ts_proto=${plugin}`,
  `--ts_proto_out=${outDir}`,
  `--ts_proto_opt=${options}`,
  `-I${protoDir}`,
  ...files,
], { stdio: 'inherit' });
console.log(`generated codecs for ${files.length} proto files into src/generated`);
// The gateway's strict JSON reader needs each message's fields in declaration order.
await import('./gen-message-descriptors.mjs');
