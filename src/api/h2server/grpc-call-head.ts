// What a gRPC request's headers say (method path, deadline, encoding, metadata)
// and the parts of grpc-js's call surface that come from them and the socket.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import type { HeaderField } from '../http2/hpack-decoder.js';
import { contentSubtype, responseContentType, validTimeout } from './grpc-header-rules.js';

const DEADLINE_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
/** Request headers grpc-js keeps out of the metadata handlers see. */
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set(['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type']);

export type AuthContext = ReturnType<ServerUnaryCall<unknown, unknown>['getAuthContext']>;

export class CallHead {
  path = '';
  method = '';
  /** The content-type answers carry (gRPC-Go's for the request's content-subtype). */
  responseContentType = 'application/grpc';
  encoding = 'identity';
  authority = '';
  /** grpc-timeout as sent; null when absent. */
  timeout: string | null = null;
  private metadataCache: Metadata | null = null;

  constructor(
    private readonly fields: readonly HeaderField[],
    readonly socket: Socket,
  ) {
    for (const { name, value } of fields) {
      switch (name) {
        case ':path': this.path = value; break;
        case ':method': this.method = value; break;
        case ':authority': this.authority = value; break;
        case 'content-type': {
          const subtype = contentSubtype(value);
          if (subtype !== null) this.responseContentType = responseContentType(subtype);
          break;
        }
        case 'grpc-encoding': this.encoding = value; break;
        case 'grpc-timeout': this.timeout = value; break;
        case 'host': if (this.authority === '') this.authority = value; break;
        default: break;
      }
    }
  }

  /** The deadline in epoch ms (Infinity when none); null when grpc-timeout cannot be read. */
  deadlineMs(nowMs: number): number | null {
    if (this.timeout === null) return Infinity;
    if (!validTimeout(this.timeout)) return null;
    const amount = Number(this.timeout.slice(0, -1));
    return nowMs + ((amount * (DEADLINE_UNIT_MS[this.timeout.slice(-1)] ?? 0)) | 0);
  }

  get metadata(): Metadata {
    if (this.metadataCache !== null) return this.metadataCache;
    const headers: Record<string, string | string[]> = {};
    for (const { name, value } of this.fields) {
      if (name.startsWith(':') || TRANSPORT_HEADERS.has(name)) continue;
      const seen = headers[name];
      if (seen === undefined) headers[name] = value;
      else if (Array.isArray(seen)) seen.push(value);
      else headers[name] = [seen, value];
    }
    this.metadataCache = Metadata.fromHttp2Headers(headers);
    return this.metadataCache;
  }

  peer(): string {
    const socket = this.socket;
    if (socket.remoteAddress === undefined) return 'unknown';
    return socket.remotePort === undefined ? socket.remoteAddress : `${socket.remoteAddress}:${socket.remotePort}`;
  }

  authContext(): AuthContext {
    const socket = this.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return {};
    const peerCertificate = socket.getPeerCertificate();
    return { transportSecurityType: 'ssl', sslPeerCertificate: peerCertificate.raw === undefined ? undefined : peerCertificate };
  }
}
