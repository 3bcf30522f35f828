// Raw gRPC calls with the generated codecs (or no codec at all), for tests that send
// what a well-behaved client library never would and check etcd's exact status.
import * as grpc from '@grpc/grpc-js';

export interface UnaryMethod<Req, Res> {
  path: string;
  requestSerialize: (value: Req) => Buffer;
  responseDeserialize: (bytes: Buffer) => Res;
}

export interface GrpcFailure {
  code: grpc.status;
  details: string;
}

const CALL_TIMEOUT_MS = 10_000;

/** A plain channel to the endpoint, with no client-side message size limits. */
export function rawClient(endpoint: string): grpc.Client {
  return new grpc.Client(endpoint, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
  });
}

/** `deadlineMs` is short for tests that measure how soon a cluster answers again; `metadata` carries tokens. */
export function unary<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  deadlineMs = CALL_TIMEOUT_MS,
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      metadata,
      { deadline: Date.now() + deadlineMs },
      (error: grpc.ServiceError | null, response?: Res) => {
        if (error) reject(error);
        else if (response === undefined) reject(new Error(`${method.path}: empty response`));
        else resolve(response);
      },
    );
  });
}

/** Sends `bytes` as the request body, verbatim, and returns the raw response body. */
export function unaryBytes(client: grpc.Client, path: string, bytes: Buffer): Promise<Buffer> {
  const identity = (value: Buffer): Buffer => value;
  return unary(client, { path, requestSerialize: identity, responseDeserialize: identity }, bytes);
}

/** The status a call failed with; fails the test if the call succeeded. */
export async function grpcFailure(call: Promise<unknown>): Promise<GrpcFailure> {
  try {
    await call;
  } catch (error) {
    if (isServiceError(error)) return { code: error.code, details: error.details };
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';
}
