// Which request headers gRPC-Go (under etcd) cannot read, and so answers with a reset
// stream (PROTOCOL_ERROR) and no status: no content-type of gRPC's form, or a
// grpc-status, grpc-timeout or binary stats/status header it fails to decode (a status
// detail must also unmarshal as a google.rpc.Status).
import type { HeaderField } from '../http2/hpack-decoder.js';
import { validStatusDetails } from './grpc-status-details.js';

const BASE_CONTENT_TYPE = 'application/grpc';
/** gRPC-Go's grpc-timeout grammar: at most 9 characters, a base-10 integer (sign allowed) and one unit letter. */
const TIMEOUT_PATTERN = /^[+-]?\d+[HMSmun]$/;
const TIMEOUT_TEXT_BYTES_MAX = 9;
/** strconv.Atoi's range on a 64-bit build. */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Headers whose value gRPC-Go decodes as base64 (padded when its length is a multiple of 4, else raw). */
const DECODED_BIN_HEADERS: ReadonlySet<string> = new Set(['grpc-status-details-bin', 'grpc-tags-bin', 'grpc-trace-bin']);
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RAW_BASE64 = /^[A-Za-z0-9+/]*$/;
const BASE64_GROUP_CHARS = 4;

/**
 * The content-subtype of a gRPC content-type ("" for none), or null when the value is not
 * one: exactly application/grpc, or it followed by '+' or ';' and anything.
 */
export function contentSubtype(contentType: string): string | null {
  if (contentType === BASE_CONTENT_TYPE) return '';
  if (!contentType.startsWith(BASE_CONTENT_TYPE)) return null;
  const next = contentType.charAt(BASE_CONTENT_TYPE.length);
  return next === '+' || next === ';' ? contentType.slice(BASE_CONTENT_TYPE.length + 1) : null;
}

/** The response's content-type for a request's content-subtype (gRPC-Go answers in the codec's name as sent). */
export function responseContentType(subtype: string): string {
  return subtype === '' ? BASE_CONTENT_TYPE : `${BASE_CONTENT_TYPE}+${subtype}`;
}

export function validTimeout(value: string): boolean {
  return value.length <= TIMEOUT_TEXT_BYTES_MAX && TIMEOUT_PATTERN.test(value);
}

function validAtoi(value: string): boolean {
  if (!/^[+-]?\d+$/.test(value)) return false;
  const number = BigInt(value);
  return number >= INT64_MIN && number <= INT64_MAX;
}

function validBinValue(value: string): boolean {
  if (value.length % BASE64_GROUP_CHARS === 0) return PADDED_BASE64.test(value);
  return value.length % BASE64_GROUP_CHARS !== 1 && RAW_BASE64.test(value);
}

function validBinHeader(name: string, value: string): boolean {
  if (!validBinValue(value)) return false;
  return name !== 'grpc-status-details-bin' || validStatusDetails(Buffer.from(value, 'base64'));
}

/** Why gRPC-Go would refuse these request headers, or null when it reads them. */
export function requestHeaderProblem(fields: readonly HeaderField[]): string | null {
  let grpc = false;
  let problem: string | null = null;
  for (const { name, value } of fields) {
    if (name === 'content-type') grpc ||= contentSubtype(value) !== null;
    else if (name === 'grpc-timeout' && !validTimeout(value)) problem ??= 'malformed grpc-timeout';
    else if (name === 'grpc-status' && !validAtoi(value)) problem ??= 'malformed grpc-status';
    else if (DECODED_BIN_HEADERS.has(name) && !validBinHeader(name, value)) problem ??= `malformed ${name}`;
  }
  if (!grpc) return 'not a gRPC content-type';
  return problem;
}
