import { lowerCaseHeaders } from '../../common/http';
import type { HttpReply, HttpRequestLike } from '../../common/payment/gateway';

/** The HTTP access service's event (cloud functions triggered by HTTP). */
export interface HttpAccessEvent {
  httpMethod: string;
  path: string;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** What the HTTP access service expects back. */
export interface HttpAccessReply extends HttpReply {
  isBase64Encoded: false;
}

export function toHttpRequest(event: HttpAccessEvent): HttpRequestLike {
  const headers = lowerCaseHeaders(event.headers ?? {});
  // Signatures are over the exact bytes sent: decode base64 to bytes, never re-serialise a parsed body.
  const rawBody = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
  return { method: event.httpMethod.toUpperCase(), path: event.path, headers, rawBody };
}

export function toAccessReply(r: HttpReply): HttpAccessReply {
  return { ...r, isBase64Encoded: false };
}
