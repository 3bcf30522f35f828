// --auth-token parsing and the JWT provider on its own: each sign method family signs
// and verifies, a token from another key or past its exp is refused, options are checked.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { JwtTokens } from '../../src/auth/jwt-tokens.js';
import { SimpleTokens } from '../../src/auth/simple-tokens.js';
import { authTokenError, tokenProviderFor } from '../../src/auth/token-options.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'token-options-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keyFiles(name: string, type: 'rsa' | 'ec' | 'ed25519'): Promise<{ pub: string; priv: string }> {
  const pair =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const pub = join(dir, `${name}.pub`);
  const priv = join(dir, `${name}.key`);
  await writeFile(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(priv, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { pub, priv };
}

test('simple is the default kind; unknown kinds and malformed jwt options are refused', () => {
  assert.ok(tokenProviderFor('simple', 0) instanceof SimpleTokens);
  assert.equal(authTokenError('simple'), undefined);
  assert.equal(authTokenError('jwt,sign-method=RS256'), undefined);
  assert.equal(authTokenError('opaque'), 'auth: invalid auth options');
  assert.throws(() => tokenProviderFor('jwt,pub-key', 0), /invalid auth options/);
  assert.throws(() => tokenProviderFor('jwt,pub-key=/nonexistent', 0), /invalid auth options/);
});

for (const [method, type] of [['RS256', 'rsa'], ['PS384', 'rsa'], ['ES256', 'ec'], ['EdDSA', 'ed25519']] as const) {
  test(`jwt ${method}: signs etcd's claims and verifies them; another key's token is refused`, async () => {
    const own = await keyFiles(`${method}-own`, type);
    const other = await keyFiles(`${method}-other`, type);
    const tokens = tokenProviderFor(`jwt,pub-key=${own.pub},priv-key=${own.priv},sign-method=${method},ttl=1h30m`, 0);
    const prepared = await tokens.prepare('alice', 7);
    assert.deepEqual(await tokens.info(prepared.token ?? '', 99), { username: 'alice', revision: 7 });
    const forger = new JwtTokens({ signMethod: method, publicKeyPath: other.pub, privateKeyPath: other.priv, ttlMs: 60_000 });
    const forged = await forger.prepare('root', 7);
    assert.equal(await tokens.info(forged.token ?? '', 99), null);
  });
}

test('jwt: a token past its exp is refused; a verify-only provider cannot sign', async () => {
  const keys = await keyFiles('exp', 'ec');
  let nowMs = Date.parse('2030-01-01T00:00:00Z');
  const tokens = new JwtTokens({ signMethod: 'ES256', publicKeyPath: keys.pub, privateKeyPath: keys.priv, ttlMs: 60_000 }, () => nowMs);
  const { token } = await tokens.prepare('alice', 3);
  assert.deepEqual(await tokens.info(token ?? ''), { username: 'alice', revision: 3 });
  nowMs += 61_000;
  assert.equal(await tokens.info(token ?? ''), null);
  const verifyOnly = new JwtTokens({ signMethod: 'ES256', publicKeyPath: keys.pub, privateKeyPath: null, ttlMs: 60_000 });
  await assert.rejects(verifyOnly.prepare('alice', 3), /verify-only/);
});
