// The raft core's public surface, for the server, the WAL and the peer transport.

export type { RaftConfig, RaftLogger } from './config.js';
export { validateConfig } from './config.js';
export * from './errors.js';
export * from './message.js';
export * from './message-codec.js';
export { RaftNode, type Ready, type RaftStatus, type FollowerProgress } from './raft-node.js';
export { RaftState, type ReadState, type SoftState } from './raft-state.js';
export type { ReadOnlyOption } from './read-only.js';
export { ProgressState } from './progress.js';
export {
  MemoryStorage, EMPTY_CONF_STATE, EMPTY_HARD_STATE, isEmptyHardState, isEmptySnapshot,
  type InitialState, type RaftStorage,
} from './storage.js';
export * from './types.js';
