// Our server and a real etcd, started side by side before a test file's tests and stopped
// after them: the parity tests send each case to both and expect the same outcome.
import { after, before } from 'node:test';
import { startServer, type ServerProcess } from './server-process.js';

/** Registers the file's hooks; `started` receives both servers once they serve. */
export function serversSideBySide(name: string, started: (ours: ServerProcess, etcd: ServerProcess) => void): void {
  let running: ServerProcess[] = [];
  before(async () => {
    const [ours, etcd] = await Promise.all([startServer({ name: `${name}-ours` }), startServer({ target: 'etcd', name: `${name}-etcd` })]);
    running = [ours, etcd];
    started(ours, etcd);
  });
  after(async () => {
    await Promise.all(running.map((server) => server.stop()));
  });
}
