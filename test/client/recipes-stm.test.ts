// STM under contention: concurrent bank transfers between accounts with each isolation
// level that etcd offers for this; the total balance is invariant and no transfer is lost.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd } from '../../src/client/etcd.js';
import { runStm, type Isolation } from '../../src/client/recipes/stm.js';
import { openFixture, type ClientFixture } from './fixture.js';

const ACCOUNTS = 5;
const BALANCE_START = 100;
const WORKERS = 4;
const TRANSFERS_PER_WORKER = 10;

let fx: ClientFixture;
let clients: Etcd[] = [];
before(async () => {
  fx = await openFixture();
  clients = Array.from({ length: WORKERS }, () => new Etcd({ endpoints: [fx.server.endpoint] }));
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await fx?.close();
});

// A fixed pseudo-random sequence, so a failing run repeats.
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

async function bankRun(isolation: Isolation): Promise<{ total: number; transfers: number; ledger: number }> {
  const p = fx.prefix(`stm-${isolation}`);
  for (let i = 0; i < ACCOUNTS; i++) await fx.etcd.put(`${p}acct/${i}`, String(BALANCE_START));
  await fx.etcd.put(`${p}ledger`, '0');
  let transfers = 0;
  await Promise.all(
    clients.map(async (client, worker) => {
      const random = seededRandom(worker + 1);
      for (let n = 0; n < TRANSFERS_PER_WORKER; n++) {
        const from = Math.floor(random() * ACCOUNTS);
        const to = (from + 1 + Math.floor(random() * (ACCOUNTS - 1))) % ACCOUNTS;
        await runStm(
          client,
          async (stm) => {
            const fromBalance = Number(await stm.get(`${p}acct/${from}`));
            const toBalance = Number(await stm.get(`${p}acct/${to}`));
            const amount = Math.min(fromBalance, 1 + Math.floor(random() * 10));
            stm.put(`${p}acct/${from}`, String(fromBalance - amount));
            stm.put(`${p}acct/${to}`, String(toBalance + amount));
            // Each committed transfer bumps the ledger once: a lost or doubled commit shows here.
            stm.put(`${p}ledger`, String(Number(await stm.get(`${p}ledger`)) + 1));
          },
          { isolation },
        );
        transfers++;
      }
    }),
  );
  const balances = await fx.etcd.range(`${p}acct/`, { prefix: true });
  const total = balances.kvs.reduce((sum, kv) => sum + Number(kv.value.toString()), 0);
  return { total, transfers, ledger: Number(await fx.etcd.getString(`${p}ledger`)) };
}

describe('stm bank transfers', () => {
  for (const isolation of ['serializable-snapshot', 'serializable', 'repeatable-read'] as const) {
    test(`${isolation}: ${WORKERS} workers x ${TRANSFERS_PER_WORKER} transfers keep the total`, async () => {
      const { total, transfers, ledger } = await bankRun(isolation);
      assert.equal(total, ACCOUNTS * BALANCE_START);
      assert.equal(transfers, WORKERS * TRANSFERS_PER_WORKER);
      assert.equal(ledger, WORKERS * TRANSFERS_PER_WORKER);
    });
  }

  test('read-committed gives no such guarantee: the invariant check is what makes the others meaningful', async () => {
    const p = fx.prefix('stm-rc');
    await fx.etcd.put(`${p}n`, '0');
    // Two increments that both read 0 before either writes: read-committed lets both commit.
    let reads = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const increment = (client: Etcd): Promise<unknown> =>
      runStm(
        client,
        async (stm) => {
          const value = Number(await stm.get(`${p}n`));
          if (++reads === 2) release();
          await bothRead;
          stm.put(`${p}n`, String(value + 1));
        },
        { isolation: 'read-committed' },
      );
    await Promise.all([increment(clients[0]!), increment(clients[1]!)]);
    assert.equal(await fx.etcd.getString(`${p}n`), '1');
  });

  test('serializable-snapshot retries the same race until both increments land', async () => {
    const p = fx.prefix('stm-ss');
    await fx.etcd.put(`${p}n`, '0');
    let attempts = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const increment = (client: Etcd): Promise<unknown> =>
      runStm(client, async (stm) => {
        const value = Number(await stm.get(`${p}n`));
        if (++attempts === 2) release();
        await bothRead;
        stm.put(`${p}n`, String(value + 1));
      });
    await Promise.all([increment(clients[0]!), increment(clients[1]!)]);
    assert.equal(await fx.etcd.getString(`${p}n`), '2');
    assert.equal(attempts, 3);
  });
});
