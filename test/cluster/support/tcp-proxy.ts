// A TCP proxy in front of one member's peer port, so a test can cut the member off
// from its peers and heal it again. Peers dial the proxy (the member advertises the
// proxy's URL); a cut ends every connection through it and drops new ones, so
// nothing reaches the member from its peers until heal().
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A proxy never holds more connections than this (a 3-5 member cluster needs a handful). */
const CONNECTIONS_MAX = 256;

export class TcpProxy {
  private readonly pairs = new Set<{ inbound: Socket; outbound: Socket }>();
  private cutNow = false;
  private closed: Promise<void> | null = null;
  /** Connections dropped while cut, for the test's report. */
  droppedConnections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Listens on 127.0.0.1:listenPort and forwards to 127.0.0.1:targetPort. */
  static async open(listenPort: number, targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new TcpProxy(server, listenPort, targetPort);
  }

  get isCut(): boolean {
    return this.cutNow;
  }

  /** Ends every connection through the proxy; new ones are dropped until heal(). */
  cut(): void {
    this.cutNow = true;
    for (const pair of this.pairs) {
      pair.inbound.destroy();
      pair.outbound.destroy();
    }
    this.pairs.clear();
  }

  heal(): void {
    this.cutNow = false;
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.cut();
      this.server.close(() => resolve());
    });
    return this.closed;
  }

  private accept(inbound: Socket): void {
    if (this.cutNow || this.pairs.size >= CONNECTIONS_MAX) {
      this.droppedConnections++;
      inbound.destroy();
      return;
    }
    inbound.setNoDelay(true);
    const outbound = createConnection({ host: '127.0.0.1', port: this.targetPort });
    outbound.setNoDelay(true);
    const pair = { inbound, outbound };
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  }
}
