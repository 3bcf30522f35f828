// The options a user passes to `new Etcd(...)` and to each call, with their defaults.

export interface TlsOptions {
  /** PEM CA bundle that signs the server's certificate; the system roots when absent. */
  ca?: Buffer;
  /** PEM client certificate and key, for servers that require client certificates. */
  cert?: Buffer;
  key?: Buffer;
  /** Overrides the name checked against the server certificate. */
  serverName?: string;
}

export interface EtcdOptions {
  /** host:port, or http(s)://host:port, of one or more members. */
  endpoints: string[];
  auth?: { username: string; password: string };
  tls?: TlsOptions;
  /** How long a call waits for some endpoint to connect. */
  dialTimeoutMs?: number;
  /** The deadline of a call that names none itself. */
  defaultCallTimeoutMs?: number;
}

/** Per-call controls: every call accepts an AbortSignal and a deadline. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's default deadline for this call. */
  timeoutMs?: number;
}

export const DIAL_TIMEOUT_MS_DEFAULT = 5_000;
export const CALL_TIMEOUT_MS_DEFAULT = 30_000;
/** Attempts of one call across endpoints, including the first. */
export const CALL_ATTEMPTS_MAX = 5;
export const RETRY_BACKOFF_MS = 50;
export const ENDPOINTS_MAX = 64;
