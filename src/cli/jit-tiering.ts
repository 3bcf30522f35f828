// Has V8 optimise the server's hot functions after less interpreted work. A fresh
// server spent its first seconds interpreting and compiling: on a 2-core machine,
// with three members and a load generator sharing the cores, the first 3 s of a
// put-1 load ran at about 85% of the steady rate (docs/benchmarks.md, "Eighth
// session"). Steady-state throughput is unchanged. Set before the server's modules
// load, so every function of theirs gets the smaller budget from its first call.
import { setFlagsFromString } from 'node:v8';

/** Bytecode bytes a function runs between tier-up checks (V8 11.3's default is 67,584). */
export const INTERRUPT_BUDGET_BYTES = 8192;

export function tierUpSooner(): void {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET_BYTES}`);
}
