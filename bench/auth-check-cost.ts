// In-process cost of the auth edge per request: token lookup plus a range permission
// check, for root, for a user with 100 grants, and with auth off (the pass-through).
// Usage: node dist/bench/auth-check-cost.js [--iterations 1000000]
import { Metadata } from '@grpc/grpc-js';
import { AuthGate } from '../src/auth/auth-gate.js';
import { AuthStore } from '../src/auth/auth-store.js';
import { checkRange } from '../src/auth/request-permissions.js';
import { SimpleTokens } from '../src/auth/simple-tokens.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import { Permission_Type } from '../src/generated/authpb/auth.js';
import { RangeRequest } from '../src/generated/etcdserverpb/rpc.js';

const ROLES = 10;
const GRANTS_PER_ROLE = 10;

function iterations(): number {
  const index = process.argv.indexOf('--iterations');
  const value = index >= 0 ? Number(process.argv[index + 1]) : 1_000_000;
  if (!Number.isInteger(value) || value <= 0) throw new Error('--iterations must be a positive integer');
  return value;
}

function perRequestUs(store: AuthStore, gate: AuthGate, token: string | undefined, key: string, count: number): number {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('token', token);
  const call = { metadata };
  const request = RangeRequest.fromPartial({ key: Buffer.from(key) });
  const startedMs = performance.now();
  for (let i = 0; i < count; i++) {
    const caller = gate.callerOf(call);
    if (caller instanceof Promise) throw new Error('simple tokens answer synchronously');
    checkRange(store, caller, request);
  }
  return ((performance.now() - startedMs) * 1000) / count;
}

function main(): void {
  const count = iterations();
  const store = new AuthStore(MemoryBackend.open());
  const tokens = new SimpleTokens(300);
  store.attachTokens(tokens);
  store.userAdd('root', Buffer.from('unused'), false);
  store.userGrantRole('root', 'root');
  store.userAdd('alice', Buffer.from('unused'), false);
  for (let r = 0; r < ROLES; r++) {
    store.roleAdd(`r${r}`);
    for (let g = 0; g < GRANTS_PER_ROLE; g++) {
      store.roleGrantPermission(`r${r}`, { permType: Permission_Type.READWRITE, key: Buffer.from(`k${r}/${g}/`), rangeEnd: Buffer.from(`k${r}/${g}0`) });
    }
    store.userGrantRole('alice', `r${r}`);
  }
  store.enable();
  const gate = new AuthGate(store, tokens, false);
  const rootToken = tokens.assign('abcdefghijklmnop', 'root', 1);
  const aliceToken = tokens.assign('qrstuvwxyzabcdef', 'alice', 2);
  const off = new AuthStore(MemoryBackend.open());
  const offGate = new AuthGate(off, new SimpleTokens(300), false);
  console.log(`${count} requests each`);
  console.log(`auth off, no token:               ${perRequestUs(off, offGate, undefined, 'a', count).toFixed(3)} µs/request`);
  console.log(`auth on, root token:              ${perRequestUs(store, gate, rootToken, 'k9/9/x', count).toFixed(3)} µs/request`);
  console.log(`auth on, user with ${ROLES * GRANTS_PER_ROLE} grants: ${perRequestUs(store, gate, aliceToken, 'k9/9/x', count).toFixed(3)} µs/request`);
}

main();
