import * as crypto from 'node:crypto';
import type { HttpAnswer } from '../../http';
import { decryptResource } from './aead';
import { normaliseSerial, verifyWechatpaySignature, WechatpaySignatureError, type PlatformKey } from './verify';
import { parseRfc3339 } from '../../time';

/** Downloads are spaced at least this far apart: a flood of made-up serials costs one request a minute. */
export const MIN_DOWNLOAD_INTERVAL_MS = 60_000;

/** A downloaded certificate is trusted only inside both its own dates and the list's effective/expire times. */
interface Downloaded {
  cert: crypto.X509Certificate;
  from: number;
  to: number;
}

/** Why a certificate list cannot be used (the caller turns it into its own error). */
export class CertificateListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateListError';
  }
}

/**
 * The keys that verify WeChat Pay's signatures. In platform-certificate mode WeChat Pay rotates its
 * certificate: a new serial appears in answers and notifications up to 24 h after the new certificate
 * is listed at `GET /v3/certificates`. An unknown serial therefore triggers one download (decrypted
 * with the APIv3 key, which only WeChat Pay and the merchant hold; the list's own signature checked
 * with the keys it brings), and the message is verified again. Public-key mode never downloads.
 */
export class PlatformKeyring {
  private downloaded = new Map<string, Downloaded>();
  private inFlight?: Promise<void>;
  private lastDownload = -Infinity;

  constructor(
    private readonly configured: ReadonlyMap<string, PlatformKey>,
    private readonly apiV3Key: Buffer,
    /** The signed `GET /v3/certificates` call, answer unverified (this class verifies it). */
    private readonly download: () => Promise<HttpAnswer>,
    private readonly now: () => number,
  ) {}

  /** Certificate mode: at least one configured key is a platform certificate. */
  get downloads(): boolean {
    return [...this.configured.values()].some((k) => k instanceof crypto.X509Certificate);
  }

  /** Verifies like verifyWechatpaySignature; an unknown serial in certificate mode fetches the list once. */
  async verify(headers: Record<string, string>, body: Buffer): Promise<string> {
    try {
      return verifyWechatpaySignature(headers, body, this.keys(), this.now());
    } catch (e) {
      if (!(e instanceof WechatpaySignatureError) || e.problem !== 'unknown-serial' || !this.downloads) throw e;
    }
    await this.refresh();
    return verifyWechatpaySignature(headers, body, this.keys(), this.now());
  }

  private keys(extra?: Map<string, Downloaded>): Map<string, PlatformKey> {
    const all = new Map<string, PlatformKey>(this.configured);
    const now = this.now();
    for (const [serial, d] of extra ?? this.downloaded) {
      // The list's expire_time can end a certificate before its own notAfter (a rotation).
      if (now >= d.from && now <= d.to) all.set(serial, d.cert);
    }
    return all;
  }

  private refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.now() - this.lastDownload < MIN_DOWNLOAD_INTERVAL_MS) return Promise.resolve();
    this.lastDownload = this.now();
    this.inFlight = this.fetchList().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchList(): Promise<void> {
    const answer = await this.download();
    const fresh = this.readList(answer.body);
    // The list's signature may come from a certificate it introduces: check it with both.
    verifyWechatpaySignature(answer.headers, answer.body, this.keys(fresh), this.now());
    for (const [serial, d] of fresh) this.downloaded.set(serial, d);
  }

  private readList(body: Buffer): Map<string, Downloaded> {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new CertificateListError('the certificate list is not JSON.');
    }
    const data = (json as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw new CertificateListError('the certificate list has no data array.');
    const out = new Map<string, Downloaded>();
    for (const item of data as Record<string, unknown>[]) {
      const enc = item?.encrypt_certificate as Record<string, unknown> | undefined;
      if (typeof item?.serial_no !== 'string' || typeof enc?.ciphertext !== 'string' || typeof enc.nonce !== 'string' || enc.algorithm !== 'AEAD_AES_256_GCM') {
        throw new CertificateListError('a certificate entry is incomplete.');
      }
      // Throws ResourceDecryptError unless the entry was encrypted with our APIv3 key: nobody else can list one.
      const pem = decryptResource({ ciphertext: enc.ciphertext, nonce: enc.nonce, associated_data: typeof enc.associated_data === 'string' ? enc.associated_data : '' }, this.apiV3Key);
      let cert: crypto.X509Certificate;
      try {
        cert = new crypto.X509Certificate(pem);
      } catch {
        throw new CertificateListError(`entry ${item.serial_no} is not an X.509 certificate.`);
      }
      const serial = normaliseSerial(cert.serialNumber);
      if (serial !== normaliseSerial(item.serial_no)) throw new CertificateListError(`entry ${item.serial_no} holds certificate ${cert.serialNumber}.`);
      const effective = typeof item.effective_time === 'string' ? parseRfc3339(item.effective_time) : undefined;
      const expire = typeof item.expire_time === 'string' ? parseRfc3339(item.expire_time) : undefined;
      const from = Math.max(Date.parse(cert.validFrom), effective ?? -Infinity);
      const to = Math.min(Date.parse(cert.validTo), expire ?? Infinity);
      out.set(serial, { cert, from, to });
    }
    return out;
  }
}
