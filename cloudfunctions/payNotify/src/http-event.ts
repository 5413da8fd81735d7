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

/** Real notifications are 1–3 KB; the cap keeps parsing and database reads away from anything larger. */
export const MAX_NOTIFY_BODY_BYTES = 64 * 1024;

/** The size of the body once decoded, measured without decoding it. */
function bodyBytes(event: HttpAccessEvent): number {
  const body = typeof event.body === 'string' ? event.body : '';
  if (!event.isBase64Encoded) return Buffer.byteLength(body, 'utf8');
  return Math.floor((body.replace(/=+$/, '').length * 3) / 4);
}

/** A 413 for an oversized body (the provider never sends one), else undefined. */
export function bodyTooLarge(event: HttpAccessEvent): HttpAccessReply | undefined {
  if (bodyBytes(event) <= MAX_NOTIFY_BODY_BYTES) return undefined;
  return { statusCode: 413, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `body larger than ${MAX_NOTIFY_BODY_BYTES} bytes`, isBase64Encoded: false };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The request as the handlers see it. Fields of the wrong type (the service never sends them) become
 * empty, so such an event is refused like any other bad request instead of failing.
 */
export function toHttpRequest(event: HttpAccessEvent): HttpRequestLike {
  const given = typeof event.headers === 'object' && event.headers !== null ? event.headers : {};
  const headers = lowerCaseHeaders(Object.fromEntries(Object.entries(given).filter(([, v]) => typeof v === 'string')));
  // Signatures are over the exact bytes sent: decode base64 to bytes, never re-serialise a parsed body.
  const rawBody = Buffer.from(str(event.body), event.isBase64Encoded === true ? 'base64' : 'utf8');
  return { method: str(event.httpMethod).toUpperCase(), path: str(event.path), headers, rawBody };
}

export function toAccessReply(r: HttpReply): HttpAccessReply {
  return { ...r, isBase64Encoded: false };
}
