// Elections under contention: candidates on separate clients campaign, lead, proclaim and
// resign; at most one leads at any moment, and an observer sees each leader's values.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd } from '../../src/client/etcd.js';
import { Election, ElectionNoLeaderError, ElectionNotLeaderError, observeElection } from '../../src/client/recipes/election.js';
import { Session } from '../../src/client/recipes/session.js';
import { delay, missingFeature, openFixture, type ClientFixture } from './fixture.js';

const CANDIDATES = 3;
const TERMS_PER_CANDIDATE = 2;

let fx: ClientFixture;
let skipReason: string | undefined;
let clients: Etcd[] = [];
before(async () => {
  fx = await openFixture();
  skipReason = await missingFeature(fx.etcd, 'lease', 'watch');
  clients = Array.from({ length: CANDIDATES }, () => new Etcd({ endpoints: [fx.server.endpoint] }));
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await fx?.close();
});

const OBSERVE_WAIT_MS = 5_000;

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    assert.ok(waited < OBSERVE_WAIT_MS, 'the observer did not report the leader in time');
    await delay(10);
  }
}

describe('election', () => {
  test(`${CANDIDATES} candidates x ${TERMS_PER_CANDIDATE} terms: one leader at a time, observed in order`, async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const name = fx.prefix('election');
    const observer = new AbortController();
    const observed: string[] = [];
    const observing = (async () => {
      for await (const leader of observeElection(fx.etcd, `${name}/`, observer.signal)) observed.push(leader.value.toString());
    })().catch((error: unknown) => {
      if (!observer.signal.aborted) throw error;
    });
    let leaders = 0;
    let maxLeaders = 0;
    const terms: string[] = [];
    const candidate = async (client: Etcd, id: number): Promise<void> => {
      for (let term = 0; term < TERMS_PER_CANDIDATE; term++) {
        const session = await Session.create(client, { ttlSeconds: 10 });
        const election = new Election(session, name);
        try {
          await election.campaign(`c${id}-t${term}`);
          leaders++;
          maxLeaders = Math.max(maxLeaders, leaders);
          assert.equal((await election.leader()).value.toString(), `c${id}-t${term}`);
          await election.proclaim(`c${id}-t${term}-proclaimed`);
          terms.push(`c${id}-t${term}`);
          // Resign only once the observer has reported this proclamation, so no term is too short to see.
          await until(() => observed.includes(`c${id}-t${term}-proclaimed`));
          leaders--;
          await election.resign();
        } finally {
          await session.close();
        }
      }
    };
    await Promise.all(clients.map((client, id) => candidate(client, id)));
    await delay(200);
    observer.abort();
    await observing;
    assert.equal(maxLeaders, 1);
    assert.equal(terms.length, CANDIDATES * TERMS_PER_CANDIDATE);
    // Each leader in the order they led, each seen with its proclaimed value and possibly first its own.
    const leadersSeen = observed.map((value) => value.replace(/-proclaimed$/, '')).filter((value, i, all) => value !== all[i - 1]);
    assert.deepEqual(leadersSeen, terms);
    for (const term of terms) assert.ok(observed.includes(`${term}-proclaimed`), `missed proclamation of ${term}`);
  });

  test('with no candidate there is no leader; a resigned leader cannot proclaim', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const name = fx.prefix('election-empty');
    const session = await Session.create(fx.etcd, { ttlSeconds: 10 });
    try {
      const election = new Election(session, name);
      await assert.rejects(election.leader(), ElectionNoLeaderError);
      await election.campaign('me');
      await election.resign();
      await assert.rejects(election.proclaim('again'), ElectionNotLeaderError);
      await assert.rejects(election.leader(), ElectionNoLeaderError);
    } finally {
      await session.close();
    }
  });

  test('the leader losing its session hands leadership to the next candidate', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const name = fx.prefix('election-failover');
    const first = await Session.create(clients[0]!, { ttlSeconds: 5 });
    const second = await Session.create(clients[1]!, { ttlSeconds: 5 });
    try {
      await new Election(first, name).campaign('first');
      const follower = new Election(second, name);
      const campaigning = follower.campaign('second');
      await first.close();
      await campaigning;
      assert.equal((await follower.leader()).value.toString(), 'second');
    } finally {
      await second.close();
    }
  });
});
