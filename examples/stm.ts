// Example: concurrent transfers between two accounts with STM; the total never changes.
import { Etcd, runStm } from '../src/client/index.js';
import { runIfMain, type Log } from './run-example.js';

export async function main(endpoint: string, log: Log = console.log): Promise<void> {
  const etcd = new Etcd({ endpoints: [endpoint] });
  try {
    await etcd.put('example/stm/a', '100');
    await etcd.put('example/stm/b', '100');
    const transfer = (from: string, to: string, amount: number): Promise<unknown> =>
      runStm(etcd, async (stm) => {
        const fromBalance = Number(await stm.get(from));
        const toBalance = Number(await stm.get(to));
        stm.put(from, String(fromBalance - amount));
        stm.put(to, String(toBalance + amount));
      });
    await Promise.all([
      transfer('example/stm/a', 'example/stm/b', 30),
      transfer('example/stm/b', 'example/stm/a', 10),
      transfer('example/stm/a', 'example/stm/b', 5),
    ]);
    const a = Number(await etcd.getString('example/stm/a'));
    const b = Number(await etcd.getString('example/stm/b'));
    log(`a = ${a}, b = ${b}, total = ${a + b}`);
    await etcd.delete('example/stm/', { prefix: true });
  } finally {
    await etcd.close();
  }
}

runIfMain(import.meta.url, main);
