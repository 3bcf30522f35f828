// The package's public surface: the embedded server (more arrives with the client).
export { startServer, freeLoopbackPort, type RunningServer, type StartServerOptions } from './embed/start-server.js';
export { EtcdServer } from './server/etcd-server.js';
export type { ServerOptions } from './server/server-options.js';
export * from './client/index.js';
