// Example: watch a prefix with async iteration while another task writes to it.
import { Etcd } from '../src/client/index.js';
import { runIfMain, type Log } from './run-example.js';

export async function main(endpoint: string, log: Log = console.log): Promise<void> {
  const etcd = new Etcd({ endpoints: [endpoint] });
  try {
    const watcher = await etcd.watch('example/watch/', { prefix: true, prevKv: true });
    const writing = (async () => {
      await etcd.put('example/watch/color', 'red');
      await etcd.put('example/watch/color', 'blue');
      await etcd.delete('example/watch/color');
    })();
    let seen = 0;
    for await (const event of watcher.events()) {
      const previous = event.prevKv === undefined ? '' : ` (was ${event.prevKv.value.toString()})`;
      const value = event.type === 'put' ? ` ${event.kv.value.toString()}` : '';
      log(`${event.type} ${event.kv.key.toString()}${value}${previous}`);
      if (++seen === 3) break;
    }
    await writing;
  } finally {
    await etcd.close();
  }
}

runIfMain(import.meta.url, main);
