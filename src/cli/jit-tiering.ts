// Has V8 optimise the server's hot functions after less interpreted work. A fresh
// server spent its first seconds interpreting and compiling: on this 2-core machine
// a single node's first 3 s of put-1 ran at 1,370-1,500 puts/s against about 2,200
// later, and three members sharing the cores had five times the slow WAL writes in
// their first 3.5 s (docs/benchmarks.md, "Eighth session"). Steady-state throughput
// is unchanged. Set before the server's modules load, so every function of theirs
// gets the smaller budget from its first call.
import { setFlagsFromString } from 'node:v8';

/** Bytecode bytes a function runs between tier-up checks (V8 11.3's default is 67,584). */
export const INTERRUPT_BUDGET_BYTES = 8192;

export function tierUpSooner(): void {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET_BYTES}`);
}
