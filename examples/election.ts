// Example: two candidates; the first leads, resigns, and the second takes over.
import { Election, Etcd, Session } from '../src/client/index.js';
import { runIfMain, type Log } from './run-example.js';

export async function main(endpoint: string, log: Log = console.log): Promise<void> {
  const etcd = new Etcd({ endpoints: [endpoint] });
  const alice = await Session.create(etcd, { ttlSeconds: 10 });
  const bob = await Session.create(etcd, { ttlSeconds: 10 });
  try {
    const aliceElection = new Election(alice, 'example/election');
    const bobElection = new Election(bob, 'example/election');
    await aliceElection.campaign('alice');
    log(`leader: ${(await aliceElection.leader()).value.toString()}`);
    const bobWins = bobElection.campaign('bob');
    await aliceElection.proclaim('alice (proclaimed)');
    log(`leader: ${(await bobElection.leader()).value.toString()}`);
    await aliceElection.resign();
    await bobWins;
    log(`leader: ${(await bobElection.leader()).value.toString()}`);
    await bobElection.resign();
  } finally {
    await Promise.all([alice.close(), bob.close()]);
    await etcd.close();
  }
}

runIfMain(import.meta.url, main);
