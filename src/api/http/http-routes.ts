// What the HTTP/1.1 side of a client (or metrics) port answers: the JSON gateway
// under /v3 and /v3beta, and /health, /livez, /readyz, /version and /metrics;
// unclean paths are redirected to clean ones, as etcd's Go ServeMux does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log/logger.js';
import type { Registry } from 'prom-client';
import type { Gateway } from './gateway-handler.js';
import { gatewayRoute } from './gateway-routes.js';
import { LIVEZ_CHECKS, READYZ_CHECKS, serveHealth, serveProbe, serveVersion, type HealthSource } from './health-endpoints.js';
import { replyPlainError, setCorsHeaders } from './http-replies.js';
import { cleanPath, parseRequestTarget, redirectBody, redirectTarget } from './request-path.js';

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
  const target = parseRequestTarget(request.url ?? '/');
  if (target === null) return replyBadRequest(response);
  setCorsHeaders(response);
  if (request.method === 'OPTIONS') {
    response.end();
    return;
  }
  // etcd maps /v3beta/ to /v3/ before its ServeMux cleans the path (so "//v3beta/x" keeps its beta prefix).
  const path = options.gateway !== null && target.path.startsWith(V3BETA_PREFIX) ? `${V3_PREFIX}${target.path.slice(V3BETA_PREFIX.length)}` : target.path;
  const cleaned = cleanPath(path);
  if (options.gateway !== null && cleaned === V3_TREE) return replyRedirect(request, response, `${V3_TREE}/`, target.rawQuery);
  if (cleaned !== path) return replyRedirect(request, response, cleaned, target.rawQuery);
  if (options.gateway !== null && path.startsWith(V3_PREFIX)) {
    const rpc = gatewayRoute(path);
    if (rpc === undefined || !options.serves(rpc.grpcPath)) return replyPlainError(response, 404, 'Not Found');
    if (request.method !== 'POST') return replyPlainError(response, 405, 'Method Not Allowed');
    return options.gateway.handle(rpc, request, response);
  }
  const page = PAGES[path];
  if (page === undefined) return replyPlainError(response, 404, '404 page not found');
  // Prometheus' handler answers any method, as etcd's /metrics does.
  if (page !== 'metrics' && request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET');
    return replyPlainError(response, 405, 'Method Not Allowed');
  }
  return servePage(page, options, new URL(request.url ?? '/', 'http://localhost'), request, response);
}

const V3_TREE = '/v3';
const V3_PREFIX = '/v3/';
const V3BETA_PREFIX = '/v3beta/';
const MOVED_PERMANENTLY = 301;
const MOVED_PERMANENTLY_TEXT = 'Moved Permanently';

/** Go's ServeMux redirect to the clean path (http.Redirect: an HTML body for GET only). */
function replyRedirect(request: IncomingMessage, response: ServerResponse, cleanedPath: string, rawQuery: string): void {
  const { url, location } = redirectTarget(cleanedPath, rawQuery);
  response.statusCode = MOVED_PERMANENTLY;
  response.setHeader('Location', location);
  if (request.method === 'GET' || request.method === 'HEAD') response.setHeader('Content-Type', 'text/html; charset=utf-8');
  response.end(request.method === 'GET' ? Buffer.from(redirectBody(url, MOVED_PERMANENTLY_TEXT), 'latin1') : undefined);
}

/** Go's server refuses a request line it cannot parse (a bad percent escape) before any handler, and closes. */
function replyBadRequest(response: ServerResponse): void {
  response.statusCode = 400;
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.setHeader('Connection', 'close');
  response.end('400 Bad Request');
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
