// Example: two workers share a counter under a distributed lock; neither loses an update.
import { Etcd, Mutex, Session } from '../src/client/index.js';
import { runIfMain, type Log } from './run-example.js';

const INCREMENTS_PER_WORKER = 5;

export async function main(endpoint: string, log: Log = console.log): Promise<void> {
  const etcd = new Etcd({ endpoints: [endpoint] });
  try {
    await etcd.put('example/lock/counter', '0');
    const worker = async (name: string): Promise<void> => {
      const session = await Session.create(etcd, { ttlSeconds: 10 });
      const mutex = new Mutex(session, 'example/lock/mutex');
      try {
        for (let i = 0; i < INCREMENTS_PER_WORKER; i++) {
          await mutex.lock();
          const value = Number(await etcd.getString('example/lock/counter'));
          await etcd.put('example/lock/counter', String(value + 1));
          await mutex.unlock();
        }
        log(`${name} done`);
      } finally {
        await session.close();
      }
    };
    await Promise.all([worker('worker-a'), worker('worker-b')]);
    log(`counter = ${await etcd.getString('example/lock/counter')}`);
    await etcd.delete('example/lock/', { prefix: true });
  } finally {
    await etcd.close();
  }
}

runIfMain(import.meta.url, main);
