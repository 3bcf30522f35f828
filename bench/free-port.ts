// Picks free loopback TCP ports by binding port 0 and releasing it; a small race with other
// programs is possible, and a server that then fails to bind is reported as a start failure.
import { createServer } from 'node:net';

function onePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Distinct free ports, all held open together so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; attempt < count * 10 && ports.size < count; attempt += 1) ports.add(await onePort());
  if (ports.size < count) throw new Error(`could not find ${count} free ports`);
  return [...ports];
}
