// The WAL's operating errors: a damaged log, a log held by another process, a
// missing or already existing log. Each carries a stable code for the server.

export type WalErrorCode =
  | 'WalCorrupt'
  | 'WalLocked'
  | 'WalExists'
  | 'WalNotFound'
  | 'WalSnapshotNotFound'
  | 'WalClosed'
  | 'WalFailed';

export class WalError extends Error {
  readonly code: WalErrorCode;

  constructor(code: WalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WalError';
    this.code = code;
  }
}

/** Damage that repair must not hide: the message names the file and the byte offset. */
export class WalCorruptError extends WalError {
  readonly file: string;
  readonly offsetBytes: number;

  constructor(file: string, offsetBytes: number, reason: string) {
    super('WalCorrupt', `wal: corrupt record in ${file} at byte offset ${offsetBytes}: ${reason}`);
    this.name = 'WalCorruptError';
    this.file = file;
    this.offsetBytes = offsetBytes;
  }
}

export function isWalError(error: unknown): error is WalError {
  return error instanceof WalError;
}
