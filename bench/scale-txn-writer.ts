// Writes many puts fast for the scale scenarios: txns of several puts each, a few in
// flight on each of several connections. Returns how many txns failed (0 expected).
import { KVService, PutRequest, RequestOp, TxnRequest } from '../src/generated/etcdserverpb/rpc.js';
import { Http2Connection } from './http2-connection.js';

export interface TxnWriterShape {
  readonly connections: number;
  readonly txnsInFlightPerConnection: number;
  /** At most etcd's --max-txn-ops (128); a key may appear once per txn. */
  readonly putsPerTxn: number;
}

/** Puts `value` at keyOf(0) .. keyOf(count - 1). */
export async function putInTxns(endpoint: string, count: number, keyOf: (index: number) => Buffer, value: Buffer, shape: TxnWriterShape): Promise<number> {
  const connections = Array.from({ length: shape.connections }, () => new Http2Connection(endpoint));
  let next = 0;
  let errors = 0;
  const worker = async (connection: Http2Connection): Promise<void> => {
    // Each pass takes the next putsPerTxn keys, so the count bounds the loop.
    while (next < count) {
      const first = next;
      next = Math.min(count, next + shape.putsPerTxn);
      const success = [];
      for (let i = first; i < next; i++) success.push(RequestOp.fromPartial({ request: { $case: 'requestPut', value: PutRequest.fromPartial({ key: keyOf(i), value }) } }));
      const payload = KVService.txn.requestSerialize(TxnRequest.fromPartial({ success }));
      if ((await connection.call(KVService.txn.path, payload)) !== 'OK') errors++;
    }
  };
  try {
    await Promise.all(connections.map((c) => c.waitReady()));
    await Promise.all(connections.flatMap((c) => Array.from({ length: shape.txnsInFlightPerConnection }, () => worker(c))));
  } finally {
    for (const connection of connections) connection.close();
  }
  return errors;
}
