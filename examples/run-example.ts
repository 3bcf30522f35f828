// Lets each example run as a script: `node --import tsx examples/kv.ts 127.0.0.1:2379`.
import { pathToFileURL } from 'node:url';

export type Log = (line: string) => void;

/** Runs `main` when the importing module is the entry script, with the endpoint from argv. */
export function runIfMain(moduleUrl: string, main: (endpoint: string, log: Log) => Promise<void>): void {
  const entry = process.argv[1];
  if (entry === undefined || pathToFileURL(entry).href !== moduleUrl) return;
  main(process.argv[2] ?? '127.0.0.1:2379', (line) => console.log(line)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
