// How etcd's HTTP side answers: grpc-gateway's status mapping and error bodies,
// Go's plain-text http.Error, and the CORS headers etcd 3.4 puts on every reply.
import type { ServerResponse } from 'node:http';
import { goJsonStringify } from './go-json-text.js';

/** grpc-gateway's HTTPStatusFromCode, indexed by gRPC status code. */
const HTTP_STATUS_BY_GRPC_CODE: readonly number[] = [
  200, 408, 500, 400, 504, 404, 409, 403, 429, 412, 409, 400, 501, 500, 503, 500, 401,
];

export function httpStatusFromGrpcCode(code: number): number {
  return HTTP_STATUS_BY_GRPC_CODE[code] ?? 500;
}

/** Go's http.StatusText for the statuses the gateway can produce. */
const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 409: 'Conflict', 412: 'Precondition Failed', 413: 'Request Entity Too Large',
  429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function statusText(httpStatus: number): string {
  return STATUS_TEXT[httpStatus] ?? 'Unknown';
}

export function setCorsHeaders(response: ServerResponse): void {
  response.setHeader('Access-Control-Allow-Origin', '*');
  response.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS, PUT, DELETE');
  response.setHeader('Access-Control-Allow-Headers', 'accept, content-type, authorization');
}

/** Go's http.Error: the text and a newline, as text/plain. */
export function replyPlainError(response: ServerResponse, httpStatus: number, text: string): void {
  response.statusCode = httpStatus;
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.end(`${text}\n`);
}

export function replyJson(response: ServerResponse, httpStatus: number, body: unknown, contentType = 'application/json'): void {
  response.statusCode = httpStatus;
  response.setHeader('Content-Type', contentType);
  response.end(goJsonStringify(body));
}

/** grpc-gateway's error body for a failed unary call: key order as etcd sends it. */
export function replyGrpcError(response: ServerResponse, code: number, message: string): void {
  replyJson(response, httpStatusFromGrpcCode(code), { error: message, message, code });
}

/** grpc-gateway's error chunk inside a response stream. */
export function streamErrorChunk(code: number, message: string): unknown {
  const httpCode = httpStatusFromGrpcCode(code);
  return { error: { grpc_code: code, http_code: httpCode, message, http_status: statusText(httpCode) } };
}
