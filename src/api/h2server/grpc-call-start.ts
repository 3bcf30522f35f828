// How a call's handler gets started: the connection's limits may hold it for a later turn.
export interface CallStarter {
  /**
   * Runs `run` now or in a later turn of the event loop. A unary call (`pending`)
   * counts toward the connection's pending calls from here until `finished`.
   */
  start(run: () => void, pending: boolean): void;
  /** A pending call answered or went away (once per pending start). */
  finished(): void;
}
