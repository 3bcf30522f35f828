// A client's HTTP/2 bytes that cannot be read (bad frame, bad header block): an
// operating error, never a bug; the connection that sent them is closed.
export class Http2InputError extends Error {
  override readonly name = 'Http2InputError';
}
