// The JSON gateway: each /v3/... request becomes a call to the same gRPC method on
// this member's own client port (as etcd's grpc-gateway dials itself), so the
// handler, its validation, errors, limits and metrics are exactly the gRPC ones.
import { Client, credentials, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_TABLE } from '../../errors/error-table.js';
import { quoteLargeIntegers } from './exact-json-integers.js';
import type { GatewayRoute } from './gateway-routes.js';
import { replyGrpcError, streamErrorChunk, httpStatusFromGrpcCode } from './http-replies.js';
import { BodyTooLargeError, JsonValueSplitter, readBody } from './read-body.js';

/** JSON of a request is larger than its wire form (base64 is 4/3, plus keys): the body bound is this times the gRPC bound. */
const JSON_BODY_FACTOR = 2;

const passThrough = (value: Buffer): Buffer => value;

export class GatewayError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'GatewayError';
  }
}

export class Gateway {
  private readonly client: Client;
  readonly bodyLimitBytes: number;

  /** channelCredentials: TLS when the port it dials is an https one. */
  constructor(loopbackTarget: string, grpcReceiveLimitBytes: number, channelCredentials: ChannelCredentials = credentials.createInsecure()) {
    this.client = new Client(loopbackTarget, channelCredentials, {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
    this.bodyLimitBytes = grpcReceiveLimitBytes * JSON_BODY_FACTOR;
  }

  close(): void {
    this.client.close();
  }

  async handle(route: GatewayRoute, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const metadata = metadataFor(request);
    switch (route.kind) {
      case 'unary':
        return this.unary(route, request, response, metadata);
      case 'server_stream':
        return this.serverStream(route, request, response, metadata);
      case 'bidi_stream':
        return this.bidiStream(route, request, response, metadata);
    }
  }

  private async unary(route: GatewayRoute, request: IncomingMessage, response: ServerResponse, metadata: Metadata): Promise<void> {
    let message: Buffer;
    try {
      message = route.encodeRequest(parseRequestJson(await readBody(request, this.bodyLimitBytes)));
    } catch (error) {
      const failure = asGatewayError(error);
      return replyGrpcError(response, failure.code, failure.message);
    }
    const call = this.client.makeUnaryRequest(route.grpcPath, passThrough, passThrough, message, metadata, (error, reply) => {
      if (error !== null) return replyGrpcError(response, error.code, error.details);
      if (reply === undefined) return replyGrpcError(response, status.INTERNAL, 'no response');
      writeJsonHeaders(response, 200);
      response.end(JSON.stringify(route.decodeResponse(reply)));
    });
    response.on('close', () => {
      if (!response.writableFinished) call.cancel();
    });
  }

  private async serverStream(route: GatewayRoute, request: IncomingMessage, response: ServerResponse, metadata: Metadata): Promise<void> {
    let message: Buffer;
    try {
      message = route.encodeRequest(parseRequestJson(await readBody(request, this.bodyLimitBytes)));
    } catch (error) {
      const failure = asGatewayError(error);
      return replyGrpcError(response, failure.code, failure.message);
    }
    const call = this.client.makeServerStreamRequest(route.grpcPath, passThrough, passThrough, message, metadata);
    pipeResponses(route, call, response);
  }

  private async bidiStream(route: GatewayRoute, request: IncomingMessage, response: ServerResponse, metadata: Metadata): Promise<void> {
    const call = this.client.makeBidiStreamRequest(route.grpcPath, passThrough, passThrough, metadata);
    pipeResponses(route, call, response);
    const splitter = new JsonValueSplitter(this.bodyLimitBytes);
    request.setEncoding('utf8');
    try {
      for await (const text of request) {
        for (const value of splitter.push(text as string)) {
          if (!call.write(route.encodeRequest(parseRequestJson(Buffer.from(value))))) await waitDrain(call);
        }
      }
      if (splitter.rest() !== '') route.encodeRequest(parseRequestJson(Buffer.from(splitter.rest())));
      // As grpc-gateway: the end of the body half-closes the stream; responses keep flowing.
      call.end();
    } catch (error) {
      const failure = asGatewayError(error);
      call.cancel();
      if (!response.headersSent) replyGrpcError(response, failure.code, failure.message);
      else response.end(`${JSON.stringify(streamErrorChunk(failure.code, failure.message))}\n`);
    }
  }
}

interface ResponseStream extends NodeJS.EventEmitter {
  cancel(): void;
  pause(): void;
  resume(): void;
}

function waitDrain(call: NodeJS.EventEmitter): Promise<void> {
  return new Promise<void>((resolve) => call.once('drain', () => resolve()));
}

/** Streams each gRPC response as {"result": ...} on its own line; a failure ends with {"error": ...}. */
function pipeResponses(route: GatewayRoute, call: ResponseStream, response: ServerResponse): void {
  call.on('data', (reply: Buffer) => {
    if (!response.headersSent) writeJsonHeaders(response, 200);
    if (!response.write(`${JSON.stringify({ result: route.decodeResponse(reply) })}\n`)) {
      call.pause();
      response.once('drain', () => call.resume());
    }
  });
  call.on('error', (error: ServiceError) => {
    if (response.writableEnded) return;
    if (!response.headersSent) writeJsonHeaders(response, httpStatusFromGrpcCode(error.code));
    response.end(`${JSON.stringify(streamErrorChunk(error.code, error.details))}\n`);
  });
  call.on('end', () => {
    if (response.writableEnded) return;
    if (!response.headersSent) writeJsonHeaders(response, 200);
    response.end();
  });
  response.on('close', () => {
    if (!response.writableFinished) call.cancel();
  });
}

function writeJsonHeaders(response: ServerResponse, httpStatus: number): void {
  response.statusCode = httpStatus;
  response.setHeader('Content-Type', 'application/json');
  response.setHeader('Grpc-Metadata-Content-Type', 'application/grpc');
  response.flushHeaders();
}

/** The auth token travels in gRPC metadata "token", where etcd's auth looks for it. */
function metadataFor(request: IncomingMessage): Metadata {
  const metadata = new Metadata();
  const token = request.headers.authorization;
  if (token !== undefined && token !== '') metadata.set('token', token);
  return metadata;
}

/** An empty body is an empty message (as grpc-gateway treats EOF); anything else must be a JSON object. */
export function parseRequestJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  // Go's decoder reads the first value of the body and ignores what follows it.
  const first = text.trimStart().startsWith('{') ? (new JsonValueSplitter(body.length).push(text)[0] ?? text) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(quoteLargeIntegers(first));
  } catch (error) {
    throw new GatewayError(status.INVALID_ARGUMENT, error instanceof Error ? error.message : String(error));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? 'array' : parsed === null ? 'null' : typeof parsed;
    throw new GatewayError(status.INVALID_ARGUMENT, `json: cannot unmarshal ${kind} into Go value of type map[string]json.RawMessage`);
  }
  return parsed;
}

function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof BodyTooLargeError) {
    const mapped = ERROR_TABLE.RequestTooLarge;
    return new GatewayError(mapped.code, mapped.message);
  }
  // A value the message cannot hold (a bad int64 string, say): the client's mistake.
  return new GatewayError(status.INVALID_ARGUMENT, error instanceof Error ? error.message : String(error));
}
