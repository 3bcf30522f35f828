// Failover with two endpoints against a real server: one endpoint is a TCP proxy that the
// test cuts, the other the server itself. Calls and watches carry on over the survivor.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Etcd } from '../../src/client/etcd.js';
import { freePorts } from '../support/free-port.js';
import { delay, missingFeature, openFixture, type ClientFixture } from './fixture.js';

/** A loopback TCP proxy that can be cut, dropping every connection through it. */
class CuttableProxy {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    readonly endpoint: string,
  ) {}

  static async start(target: string): Promise<CuttableProxy> {
    const [host, port] = target.split(':');
    const sockets = new Set<Socket>();
    const server = createServer((incoming) => {
      const outgoing = connect(Number(port), host);
      for (const socket of [incoming, outgoing]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      incoming.pipe(outgoing).pipe(incoming);
    });
    const [listenPort] = await freePorts(1);
    await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
    return new CuttableProxy(server, sockets, `127.0.0.1:${listenPort}`);
  }

  async cut(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

let fx: ClientFixture;
let skipReason: string | undefined;
before(async () => {
  fx = await openFixture();
  skipReason = await missingFeature(fx.etcd, 'watch');
});
after(async () => {
  await fx?.close();
});

describe('failover', () => {
  test('with the first endpoint refusing connections, every call goes to the second', async () => {
    const [deadPort] = await freePorts(1);
    const etcd = new Etcd({ endpoints: [`127.0.0.1:${deadPort}`, fx.server.endpoint], dialTimeoutMs: 2_000 });
    try {
      const p = fx.prefix('failover-dead');
      await etcd.put(`${p}k`, 'v');
      assert.equal(await etcd.getString(`${p}k`), 'v');
      assert.equal((await etcd.cluster.memberList()).length, 1);
      assert.equal(etcd.activeEndpoint, fx.server.endpoint);
    } finally {
      await etcd.close();
    }
  });

  test('cutting the endpoint in use moves reads, writes and a watch to the other, without gap or duplicate', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const proxy = await CuttableProxy.start(fx.server.endpoint);
    const etcd = new Etcd({ endpoints: [proxy.endpoint, fx.server.endpoint], dialTimeoutMs: 2_000 });
    const writer = fx.etcd;
    try {
      const p = fx.prefix('failover-cut');
      const watcher = await etcd.watch(p, { prefix: true });
      assert.equal(etcd.activeEndpoint, proxy.endpoint);
      const total = 20;
      for (let i = 0; i < total / 2; i++) await writer.put(`${p}${String(i).padStart(2, '0')}`, String(i));
      await delay(100);
      await proxy.cut();
      // Reads are retried on the other endpoint: this one must succeed despite the cut.
      assert.equal(await etcd.getString(`${p}00`), '0');
      assert.equal(etcd.activeEndpoint, fx.server.endpoint);
      for (let i = total / 2; i < total; i++) await writer.put(`${p}${String(i).padStart(2, '0')}`, String(i));
      await etcd.put(`${p}after-cut`, 'written through the survivor');
      const values: string[] = [];
      const timer = setTimeout(() => void watcher.close(), 10_000);
      for await (const event of watcher.events()) {
        values.push(event.kv.value.toString());
        if (values.length === total + 1) break;
      }
      clearTimeout(timer);
      assert.deepEqual(values, [...Array.from({ length: total }, (_, i) => String(i)), 'written through the survivor']);
    } finally {
      await etcd.close();
      await proxy.cut();
    }
  });
});
