import * as crypto from 'node:crypto';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import { lowerCaseHeaders } from '../../cloudfunctions/common/http';
import type { HttpReply, HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';

/**
 * Throwaway certificates (made at test time, never stored) and an https server on 127.0.0.1 that
 * demands a client certificate from its CA, as WeChat Pay's /secapi/ endpoints do.
 */

export interface Pem {
  cert: string;
  key: string;
}

function certificate(subject: string, issuer: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } | undefined, ext: object[]): Pem & { forge: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } } {
  const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = `1${crypto.randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 86400_000);
  cert.validity.notAfter = new Date(Date.now() + 86400_000);
  const attrs = [{ name: 'commonName', value: subject }];
  cert.setSubject(attrs);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : attrs);
  cert.setExtensions(ext);
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  cert.sign(issuer ? issuer.key : key, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keyPem, forge: { cert, key } };
}

export function makeTlsFixture() {
  const ca = certificate('Test CA', undefined, [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true }]);
  const server = certificate('127.0.0.1', ca.forge, [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }]);
  const client = certificate('1900000109', ca.forge, [{ name: 'extKeyUsage', clientAuth: true }]);
  const stranger = certificate('someone else', undefined, [{ name: 'extKeyUsage', clientAuth: true }]);
  const strip = (p: Pem & { forge: unknown }): Pem => ({ cert: p.cert, key: p.key });
  return { ca: ca.cert, server: strip(server), client: strip(client), stranger: strip(stranger) };
}

/** Serves `handler` over https; `peer` is the client certificate's subject CN, if one was shown and verified. */
export function serveMutualTls(
  fixture: ReturnType<typeof makeTlsFixture>,
  handler: (req: HttpRequestLike, peer: string | undefined) => Promise<HttpReply>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = https.createServer({ ...fixture.server, ca: fixture.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN;
      handler({ method: req.method ?? 'GET', path: req.url ?? '/', headers: lowerCaseHeaders(req.headers), rawBody: Buffer.concat(chunks) }, typeof peer === 'string' ? peer : undefined)
        .then((reply) => res.writeHead(reply.statusCode, reply.headers).end(reply.body))
        .catch((e: Error) => res.writeHead(500).end(e.message));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `https://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
