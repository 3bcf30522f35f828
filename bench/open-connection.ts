// Picks the transport behind a load connection: grpc-js (what Node applications use) or a
// lean HTTP/2 gRPC client that costs the generator less CPU per request.
import { GrpcJsConnection } from './grpcjs-connection.js';
import { Http2Connection } from './http2-connection.js';
import type { LoadConnection, Transport } from './load-connection.js';

/** Every connection is its own TCP connection, whichever transport. */
export function openConnection(transport: Transport, endpoint: string, connectionIndex: number): LoadConnection {
  switch (transport) {
    case 'http2':
      return new Http2Connection(endpoint);
    case 'grpc-js':
      return new GrpcJsConnection(endpoint, connectionIndex);
  }
}
