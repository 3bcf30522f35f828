// The counters a transport exposes through stats(); shared by its sending and
// receiving halves, which each bump their own fields.

export interface TransportCounters {
  /** Messages handed to a connection (stream frames, and snapshots the receiver acknowledged). */
  sent: number;
  /** Valid messages addressed to this member and delivered to onMessage. */
  received: number;
  /** Messages dropped: full queue, peer down, unknown peer, too large, or misaddressed on arrival. */
  dropped: number;
  /** Connection attempts made after a failure (the first dial to a peer is not counted). */
  reconnects: number;
}

export function zeroCounters(): TransportCounters {
  return { sent: 0, received: 0, dropped: 0, reconnects: 0 };
}
