// The recipes built on the client: sessions, locks, elections, STM, barriers and queues.
export { Session, SESSION_TTL_SECONDS_DEFAULT, type SessionOptions } from './session.js';
export { Mutex, LockedError } from './mutex.js';
export { RWMutex } from './rw-mutex.js';
export { Election, ElectionNotLeaderError, ElectionNoLeaderError, leaderOf, observeElection } from './election.js';
export { runStm, StmConflictError, type Stm, type StmOptions, type Isolation } from './stm.js';
export { Barrier, DoubleBarrier } from './barrier.js';
export { Queue, PriorityQueue, PRIORITY_MAX } from './queue.js';
export { waitDeletes, waitEvent } from './wait-events.js';
