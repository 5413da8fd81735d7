import type * as http from 'node:http';

export const MAX_BODY_BYTES = 1024 * 1024;

export class HttpFailure extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpFailure(413, 'request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}


export function send(res: http.ServerResponse, statusCode: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(statusCode, headers);
  res.end(body);
}

export function sendJson(res: http.ServerResponse, statusCode: number, body: unknown): void {
  send(res, statusCode, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, JSON.stringify(body));
}

export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpFailure(400, 'body is not valid JSON');
  }
}
