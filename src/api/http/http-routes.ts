// What the HTTP/1.1 side of a client (or metrics) port answers: the JSON gateway
// under /v3 and /v3beta, and /health, /livez, /readyz, /version and /metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log/logger.js';
import type { Registry } from 'prom-client';
import type { Gateway } from './gateway-handler.js';
import { gatewayRoute } from './gateway-routes.js';
import { LIVEZ_CHECKS, READYZ_CHECKS, serveHealth, serveProbe, serveVersion, type HealthSource } from './health-endpoints.js';
import { replyPlainError, setCorsHeaders } from './http-replies.js';

export interface HttpRoutesOptions {
  /** null on the metrics port, which serves no gateway. */
  readonly gateway: Gateway | null;
  /** Whether the gRPC server has this method (a gateway path for an absent service is not found). */
  readonly serves: (grpcPath: string) => boolean;
  readonly health: HealthSource;
  readonly metrics: Registry | null;
  readonly logger: Logger;
}

export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => void;

export function httpRoutes(options: HttpRoutesOptions): HttpHandler {
  return (request, response) => {
    route(options, request, response).catch((error: unknown) => {
      options.logger.error('unexpected error serving an HTTP request; this is a bug', { path: request.url, error: String(error) });
      if (!response.headersSent) replyPlainError(response, 500, 'Internal Server Error');
      else response.destroy();
    });
  };
}

async function route(options: HttpRoutesOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  setCorsHeaders(response);
  if (request.method === 'OPTIONS') {
    response.end();
    return;
  }
  const rpc = options.gateway === null ? undefined : gatewayRoute(url.pathname);
  if (options.gateway !== null && /^\/v3(beta)?\//.test(url.pathname)) {
    if (rpc === undefined || !options.serves(rpc.grpcPath)) return replyPlainError(response, 404, 'Not Found');
    if (request.method !== 'POST') return replyPlainError(response, 405, 'Method Not Allowed');
    return options.gateway.handle(rpc, request, response);
  }
  const page = PAGES[url.pathname];
  if (page === undefined) return replyPlainError(response, 404, '404 page not found');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET');
    return replyPlainError(response, 405, 'Method Not Allowed');
  }
  return servePage(page, options, url, request, response);
}

type Page = 'health' | 'livez' | 'readyz' | 'version' | 'metrics';

const PAGES: Readonly<Record<string, Page>> = {
  '/health': 'health',
  '/livez': 'livez',
  '/readyz': 'readyz',
  '/version': 'version',
  '/metrics': 'metrics',
};

async function servePage(page: Page, options: HttpRoutesOptions, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
  switch (page) {
    case 'health':
      return serveHealth(options.health, url, response);
    case 'livez':
      return serveProbe('livez', LIVEZ_CHECKS, options.health, url, response);
    case 'readyz':
      return serveProbe('readyz', READYZ_CHECKS, options.health, url, response);
    case 'version':
      return serveVersion(request, response);
    case 'metrics': {
      if (options.metrics === null) return replyPlainError(response, 404, '404 page not found');
      const text = await options.metrics.metrics();
      response.setHeader('Content-Type', options.metrics.contentType);
      response.end(text);
      return;
    }
  }
}
