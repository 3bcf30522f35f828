// Every bound the peer transport enforces, in one place with units in the names,
// so a reader can see how much memory and time one peer can cost.

/** Messages queued per peer before new ones are dropped (etcd's streamBufSize). */
export const PEER_QUEUE_MESSAGES_MAX = 4096;
/** Encoded bytes queued per peer before new messages are dropped. */
export const PEER_QUEUE_BYTES_MAX = 64 * 1024 * 1024;
/** One encoded message on a message stream; bigger frames are refused on both ends. */
export const MESSAGE_FRAME_BYTES_MAX = 64 * 1024 * 1024;
/** Bytes gathered into one stream write; a single larger frame still goes alone. */
export const WRITE_BATCH_BYTES_MAX = 1024 * 1024;

/** An encoded MsgSnap (metadata plus data); bigger snapshots are refused and reported failed. */
export const SNAPSHOT_BYTES_MAX = 2 * 1024 * 1024 * 1024;
/** Snapshots being sent to one peer at once; raft sends one at a time anyway. */
export const SNAPSHOT_SENDS_PER_PEER_MAX = 1;
/** Snapshots being received at once (each may hold up to SNAPSHOT_BYTES_MAX in memory). */
export const SNAPSHOT_RECEIVES_MAX = 2;

/** First reconnect delay after a failure; doubles up to RECONNECT_DELAY_MS_MAX. */
export const RECONNECT_DELAY_MS_MIN = 50;
export const RECONNECT_DELAY_MS_MAX = 1000;
/** A stream that lasted this long resets the backoff when it is lost. */
export const STABLE_STREAM_MS = 1000;

/** A connection attempt that has not completed by then is abandoned and retried. */
export const DIAL_TIMEOUT_MS = 5000;
/** HTTP/2 pings detect a dead or half-open connection that TCP would not report for minutes. */
export const PING_INTERVAL_MS = 1000;
/** A ping unanswered this long (etcd's ConnReadTimeout) closes the connection. */
export const PING_TIMEOUT_MS = 5000;

/** Per-stream HTTP/2 flow-control window: large enough that loopback throughput is not window-bound. */
export const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
/** Per-connection HTTP/2 flow-control window. */
export const SESSION_WINDOW_BYTES = 16 * 1024 * 1024;
/** Streams one inbound connection may have open at once. */
export const INBOUND_STREAMS_PER_SESSION_MAX = 16;
/** Inbound connections held at once; more are closed on arrival. */
export const INBOUND_SESSIONS_MAX = 256;
