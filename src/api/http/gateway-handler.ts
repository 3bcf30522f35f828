// The JSON gateway: each /v3/... request becomes a call to the same gRPC method on
// this member's own client port (as etcd's grpc-gateway dials itself), so the
// handler, its validation, errors, limits and metrics are exactly the gRPC ones.
import { Client, credentials, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_TABLE } from '../../errors/error-table.js';
import { GoJsonError, goJsonStringify } from './go-json-text.js';
import type { JsonNode } from './go-json-scanner.js';
import { GatewayPanicError } from './jsonpb-reader.js';
import type { GatewayRoute } from './gateway-routes.js';
import { replyGrpcError, streamErrorChunk, httpStatusFromGrpcCode } from './http-replies.js';
import { BodyTooLargeError, JsonValueStream, readBody } from './read-body.js';

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
    const message = await this.readRequest(route, request, response);
    if (message === undefined) return;
    const call = this.client.makeUnaryRequest(route.grpcPath, passThrough, passThrough, message, metadata, (error, reply) => {
      if (error !== null) return replyGrpcError(response, error.code, error.details);
      if (reply === undefined) return replyGrpcError(response, status.INTERNAL, 'no response');
      writeJsonHeaders(response, 200);
      response.end(goJsonStringify(route.decodeResponse(reply)));
    });
    response.on('close', () => {
      if (!response.writableFinished) call.cancel();
    });
  }

  private async serverStream(route: GatewayRoute, request: IncomingMessage, response: ServerResponse, metadata: Metadata): Promise<void> {
    const message = await this.readRequest(route, request, response);
    if (message === undefined) return;
    const call = this.client.makeServerStreamRequest(route.grpcPath, passThrough, passThrough, message, metadata);
    pipeResponses(route, call, response);
  }

  /** The request message of a unary or server-streaming call, or undefined once the failure is answered. */
  private async readRequest(route: GatewayRoute, request: IncomingMessage, response: ServerResponse): Promise<Buffer | undefined> {
    try {
      return route.encodeRequest(await readBody(request, this.bodyLimitBytes));
    } catch (error) {
      if (error instanceof GatewayPanicError) return dropConnection(response);
      const failure = asGatewayError(error);
      replyGrpcError(response, failure.code, failure.message);
      return undefined;
    }
  }

  /**
   * As etcd's gateway: a first value that does not decode fails the call (500, code
   * Unknown, since etcd returns the bare decode error); a later one just ends the
   * requests (half-close) while responses keep flowing.
   */
  private async bidiStream(route: GatewayRoute, request: IncomingMessage, response: ServerResponse, metadata: Metadata): Promise<void> {
    const call = this.client.makeBidiStreamRequest(route.grpcPath, passThrough, passThrough, metadata);
    pipeResponses(route, call, response);
    const values = new JsonValueStream(this.bodyLimitBytes);
    let sent = 0;
    let stopped = false;
    const send = (node: JsonNode): void => {
      const message = route.encodeRequestValue(node);
      sent++;
      if (call.write(message)) return;
      request.pause();
      call.once('drain', () => request.resume());
    };
    const stop = (error: unknown): void => {
      stopped = true;
      if (sent === 0) failStreamStart(call, response, error);
      else call.end();
    };
    // Events rather than for-await: leaving a for-await early would destroy the request, and with it the reply.
    request.on('data', (chunk: Buffer) => {
      if (stopped) return;
      const { values: nodes, error } = values.push(chunk);
      try {
        for (const node of nodes) send(node);
      } catch (encodeError) {
        return stop(encodeError);
      }
      if (error !== undefined) stop(error);
    });
    request.on('end', () => {
      if (stopped) return;
      stopped = true;
      try {
        const last = values.end();
        if (last !== undefined) send(last);
      } catch (error) {
        if (sent === 0) return failStreamStart(call, response, error);
      }
      call.end();
    });
  }
}

function failStreamStart(call: { cancel(): void }, response: ServerResponse, error: unknown): void {
  call.cancel();
  if (error instanceof GatewayPanicError) {
    dropConnection(response);
    return;
  }
  const failure = asGatewayError(error);
  const code = error instanceof GoJsonError ? status.UNKNOWN : failure.code;
  if (!response.headersSent) replyGrpcError(response, code, failure.message);
  else response.end(`${goJsonStringify(streamErrorChunk(code, failure.message))}\n`);
}

/** What a client of etcd sees when its gateway handler panics: the connection closes unanswered. */
function dropConnection(response: ServerResponse): undefined {
  response.socket?.destroy();
  return undefined;
}

interface ResponseStream extends NodeJS.EventEmitter {
  cancel(): void;
  pause(): void;
  resume(): void;
}

/** Streams each gRPC response as {"result": ...} on its own line; a failure ends with {"error": ...}. */
function pipeResponses(route: GatewayRoute, call: ResponseStream, response: ServerResponse): void {
  call.on('data', (reply: Buffer) => {
    if (!response.headersSent) writeJsonHeaders(response, 200);
    if (!response.write(`${goJsonStringify({ result: route.decodeResponse(reply) })}\n`)) {
      call.pause();
      response.once('drain', () => call.resume());
    }
  });
  call.on('error', (error: ServiceError) => {
    if (response.writableEnded) return;
    if (!response.headersSent) writeJsonHeaders(response, httpStatusFromGrpcCode(error.code));
    response.end(`${goJsonStringify(streamErrorChunk(error.code, error.details))}\n`);
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

/** The auth token travels in gRPC metadata "token", where etcd's auth looks for it; an empty header is an (invalid) token too. */
function metadataFor(request: IncomingMessage): Metadata {
  const metadata = new Metadata();
  const token = request.headers.authorization;
  if (token !== undefined) metadata.set('token', token);
  // As etcd's gateway: marks the call as relayed, so the certificate the gateway presents
  // to its own https port (the server's) is never taken for the user's (the CN rule).
  metadata.set('grpcgateway-accept', request.headers.accept ?? '*/*');
  return metadata;
}

function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  // etcd wraps every decode error as InvalidArgument with Go's text.
  if (error instanceof GoJsonError) return new GatewayError(status.INVALID_ARGUMENT, error.message);
  if (error instanceof BodyTooLargeError) {
    const mapped = ERROR_TABLE.RequestTooLarge;
    return new GatewayError(mapped.code, mapped.message);
  }
  // Anything else is a bug in the gateway, not the client's mistake.
  return new GatewayError(status.INTERNAL, error instanceof Error ? error.message : String(error));
}
