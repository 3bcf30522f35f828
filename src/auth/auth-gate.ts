// Who is calling: the token in gRPC metadata `token` (or `authorization`, which the
// JSON gateway fills from its Authorization header), else, with --client-cert-auth,
// the Common Name of the verified client certificate (etcd's rule), else nobody.
import type { Metadata } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { EtcdError } from '../errors/etcd-error.js';
import type { AuthStore } from './auth-store.js';
import type { Caller } from './caller.js';
import type { TokenProvider } from './token-provider.js';

/** The parts of a grpc-js server call the gate reads. */
export interface CallCredentials {
  readonly metadata: Metadata;
  getAuthContext?(): { readonly sslPeerCertificate?: PeerCertificate | undefined } | undefined;
}

/** A simple token's shape; its number is the log index of the login that made it. */
const SIMPLE_TOKEN_PATTERN = /^[A-Za-z]{16}\.\d+$/;

/** etcd ignores the certificate of requests relayed by its gRPC gateway, which marks them so. */
const GATEWAY_MARKER = 'grpcgateway-accept';

/** A token that is present but empty is still a token (an invalid one), as etcd reads it. */
function firstString(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** The CN rule alone: a verified peer certificate's Common Name names the user. */
export function commonNameOf(call: CallCredentials): string | undefined {
  if (call.metadata.get(GATEWAY_MARKER).length > 0) return undefined;
  const subject = call.getAuthContext?.()?.sslPeerCertificate?.subject;
  const cn: unknown = subject?.CN;
  const name = Array.isArray(cn) ? (cn[0] as unknown) : cn;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

export class AuthGate {
  constructor(
    readonly auth: AuthStore,
    private readonly tokens: TokenProvider,
    private readonly clientCertAuth: boolean,
    /** Waits until this member has applied what the cluster committed (a login made through another member). */
    private readonly catchUp: (() => Promise<void>) | null = null,
  ) {}

  /** The caller of a request; an unknown, expired or forged token is etcd's "invalid auth token". */
  callerOf(call: CallCredentials): Caller | null | Promise<Caller | null> {
    const token = firstString(call.metadata, 'token') ?? firstString(call.metadata, 'authorization');
    if (token !== undefined) {
      const info = this.tokens.info(token, this.auth.revision);
      if (info instanceof Promise) return info.then(validCaller);
      // Like etcd, a simple token from a login this member has not applied yet is waited for, not refused.
      if (info === null && this.catchUp !== null && SIMPLE_TOKEN_PATTERN.test(token)) {
        return this.catchUp().then(() => validCaller(this.tokens.info(token, this.auth.revision) as Caller | null));
      }
      return validCaller(info);
    }
    if (!this.clientCertAuth) return null;
    const commonName = commonNameOf(call);
    return commonName === undefined ? null : { username: commonName, revision: this.auth.revision };
  }
}

function validCaller(caller: Caller | null): Caller {
  if (caller === null) throw new EtcdError('InvalidAuthToken');
  return caller;
}
