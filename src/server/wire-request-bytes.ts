// Requests as their clients encoded them. A txn or delete received over gRPC is
// proposed with the bytes it arrived in instead of being encoded again (for a txn,
// the generated encoder's nested writers cost more than the rest of proposing it).
// Followers decode the log entry either way, so every member applies the same bytes.
// Requests are never changed after decoding; one built in process has no entry here.
const wireBytes = new WeakMap<object, Uint8Array>();

export function rememberWireBytes(request: object, bytes: Uint8Array): void {
  wireBytes.set(request, bytes);
}

export function wireBytesOf(request: object): Uint8Array | undefined {
  return wireBytes.get(request);
}
