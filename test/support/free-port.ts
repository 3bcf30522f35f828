// Picks loopback ports nobody is listening on, by letting the kernel choose one.
import { createServer } from 'node:net';

/** A port free on 127.0.0.1 right now (another process may still race us for it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Several distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  // Bounded: the kernel rarely hands back the same port twice in a row.
  for (let attempt = 0; attempt < count * 10 && ports.size < count; attempt++) {
    ports.add(await freePort());
  }
  if (ports.size < count) throw new Error(`could not find ${count} free ports`);
  return [...ports];
}
