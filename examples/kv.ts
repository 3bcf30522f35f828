// Example: put, get, a compare-and-swap transaction, and paging through a prefix.
import { Etcd, cmp, op } from '../src/client/index.js';
import { runIfMain, type Log } from './run-example.js';

export async function main(endpoint: string, log: Log = console.log): Promise<void> {
  const etcd = new Etcd({ endpoints: [endpoint] });
  try {
    await etcd.put('example/kv/greeting', 'hello');
    log(`greeting = ${await etcd.getString('example/kv/greeting')}`);

    // Only one writer can create the key: the loser learns who won in the same round trip.
    const claim = await etcd
      .txn()
      .when(cmp.createRevision('example/kv/owner', '=', 0))
      .then(op.put('example/kv/owner', 'me'))
      .else(op.get('example/kv/owner'))
      .commit();
    log(`claimed owner: ${claim.succeeded}`);

    for (let i = 0; i < 5; i++) await etcd.put(`example/kv/items/${i}`, `item ${i}`);
    let pages = 0;
    for await (const page of etcd.pages('example/kv/items/', { prefix: true, pageSize: 2 })) {
      pages++;
      log(`page ${pages}: ${page.map((kv) => kv.value.toString()).join(', ')}`);
    }
    await etcd.delete('example/kv/', { prefix: true });
  } finally {
    await etcd.close();
  }
}

runIfMain(import.meta.url, main);
