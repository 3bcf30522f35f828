// bcrypt, on libuv's thread pool so hashing never blocks the event loop. Hashes are
// made before proposing (etcd 3.5), so the log and the apply loop never see a password.

type Bcrypt = (typeof import('bcrypt'))['default'];

/** bcrypt's native module, loaded with the first password (a server without auth never needs it). */
let bcryptModule: Promise<Bcrypt> | null = null;

function bcrypt(): Promise<Bcrypt> {
  bcryptModule ??= import('bcrypt').then((module) => module.default);
  return bcryptModule;
}

/** etcd's --bcrypt-cost default and Go's bcrypt bounds; a cost outside them falls back to the default, as etcd. */
export const BCRYPT_COST_DEFAULT = 10;
export const BCRYPT_COST_MIN = 4;
export const BCRYPT_COST_MAX = 31;

export function effectiveBcryptCost(cost: number): number {
  return Number.isInteger(cost) && cost >= BCRYPT_COST_MIN && cost <= BCRYPT_COST_MAX ? cost : BCRYPT_COST_DEFAULT;
}

export async function hashPassword(password: string, cost: number): Promise<Buffer> {
  return Buffer.from(await (await bcrypt()).hash(password, cost));
}

export async function passwordMatches(password: string, hash: Buffer): Promise<boolean> {
  if (hash.length === 0) return false;
  try {
    return await (await bcrypt()).compare(password, hash.toString('latin1'));
  } catch {
    return false;
  }
}

/** A client-supplied hash must be a bcrypt hash; anything else could never match. */
export function isBcryptHash(text: string): boolean {
  return /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(text);
}
