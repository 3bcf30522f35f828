// Replays one chaos seed with a trace of the final state: a debugging aid, not a test.

import { runSeed } from './chaos.js';

runSeed(Number(process.argv[2] ?? '1'), true);
