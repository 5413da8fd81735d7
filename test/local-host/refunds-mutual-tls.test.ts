import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import forge from 'node-forge';
import { toCompactBeijing } from '../../cloudfunctions/common/time';
import { nonceStr, type V2Fields, withSign } from '../../cloudfunctions/common/wxpay/v2/sign';
import { parseXml, toXml } from '../../cloudfunctions/common/wxpay/v2/xml';
import type { EmulatedRefund } from '../../scripts/local-host/emulators/types';
import { loadOrCreateSandboxKeys, type SandboxKeys } from '../../scripts/local-host/sandbox-env';
import { serveNotify, until, type Served } from '../helpers/loopback';
import type { HttpRequestLike } from '../../cloudfunctions/common/payment/gateway';
import { request, startTestSandbox, type TestSandbox } from '../helpers/sandbox';

/**
 * The local host's https listener and the sandbox's refund controls: v2's /secapi/ over mutual TLS with
 * the throwaway certificates the sandbox makes, and refunds settled through /sandbox/api.
 */

interface TlsClient {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

function httpsPost(url: string, body: string, tls: TlsClient): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', headers: { 'content-type': 'text/xml' }, ...tls, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A client certificate for `mchid` from a CA the sandbox never heard of. */
function foreignClientCertificate(mchid: string): { cert: Buffer; key: Buffer } {
  const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 86400_000);
  cert.validity.notAfter = new Date(Date.now() + 86400_000);
  cert.setSubject([{ name: 'commonName', value: mchid }]);
  cert.setIssuer([{ name: 'commonName', value: 'Somebody else CA' }]);
  cert.sign(forge.pki.privateKeyFromPem(pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  return { cert: Buffer.from(forge.pki.certificateToPem(cert)), key: Buffer.from(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) };
}

const SUCCESS_XML = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

describe('refunds on the local host', () => {
  let s: TestSandbox;
  let keys: SandboxKeys;
  let ca: Buffer;
  let ours: { cert: Buffer; key: Buffer };
  let notify: Served & { received: HttpRequestLike[] };

  beforeAll(async () => {
    notify = await serveNotify(async () => ({ statusCode: 200, headers: { 'content-type': 'text/xml' }, body: SUCCESS_XML }));
    s = await startTestSandbox();
    keys = loadOrCreateSandboxKeys(s.dir);
    ca = fs.readFileSync(keys.tls.caCertPath);
    ours = { cert: fs.readFileSync(keys.tls.clientCertPath), key: fs.readFileSync(keys.tls.clientKeyPath) };
  });
  afterAll(async () => {
    await s?.close();
    await notify?.close();
  });

  const signed = (fields: V2Fields) => toXml(withSign({ appid: keys.appid, mch_id: keys.wxpayMchid, nonce_str: nonceStr(), ...fields }, 'MD5', keys.v2Key));
  let seq = 0;

  /** A v2 Native trade placed over https (no client certificate needed) and paid by a scan. */
  async function paidV2Trade(): Promise<string> {
    const outTradeNo = `TLS${++seq}${Date.now()}`;
    const placed = parseXml(
      (
        await httpsPost(
          `${s.tlsUrl}/pay/unifiedorder`,
          signed({ body: '商品', out_trade_no: outTradeNo, total_fee: 1000, spbill_create_ip: '127.0.0.1', time_expire: toCompactBeijing(Date.now() + 600_000), notify_url: `${notify.url}/pay`, trade_type: 'NATIVE', product_id: 'P' }),
          { ca },
        )
      ).body,
    );
    expect(placed.result_code).toBe('SUCCESS');
    expect((await s.post('/sandbox/api/wxpay/scan', { codeUrl: placed.code_url, outcome: 'pay' })).status).toBe(200);
    return outTradeNo;
  }
  const refundXml = (outTradeNo: string, over: V2Fields = {}) =>
    signed({ out_trade_no: outTradeNo, out_refund_no: `R${outTradeNo}`, total_fee: 1000, refund_fee: 400, notify_url: `${notify.url}/refund`, ...over });

  test('the sandbox makes the CA, the listener certificate and the merchant client certificate, and sets the v2 variables to them', () => {
    const client = new crypto.X509Certificate(ours.cert);
    const caCert = new crypto.X509Certificate(ca);
    expect(client.subject).toContain(`CN=${keys.wxpayMchid}`);
    expect(client.verify(caCert.publicKey)).toBe(true);
    expect(client.checkPrivateKey(crypto.createPrivateKey(ours.key))).toBe(true);
    // As at WeChat Pay, apiclient_key.pem is the merchant API key that also signs v3 requests.
    expect(client.publicKey.export({ type: 'spki', format: 'der' })).toEqual(keys.merchantPublicKey.export({ type: 'spki', format: 'der' }));
    const server = new crypto.X509Certificate(fs.readFileSync(keys.tls.serverCertPath));
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(process.env.WXPAY_V2_CERT_PATH).toBe(keys.tls.clientCertPath);
    expect(process.env.WXPAY_V2_CERT_KEY_PATH).toBe(keys.tls.clientKeyPath);
    expect(process.env.WXPAY_API_CA_PATH).toBe(keys.tls.caCertPath);
    // Made once: a second load keeps the same files.
    expect(loadOrCreateSandboxKeys(s.dir).tls).toEqual(keys.tls);
    expect(fs.readFileSync(keys.tls.clientCertPath)).toEqual(ours.cert);
  });

  test('the https listener serves the same host, trusted through the sandbox CA only', async () => {
    expect(s.tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const state = await new Promise<number>((resolve, reject) => https.get(`${s.tlsUrl}/sandbox/api/state`, { ca, agent: false }, (res) => resolve(res.statusCode ?? 0)).on('error', reject));
    expect(state).toBe(200);
    await expect(httpsPost(`${s.tlsUrl}/pay/orderquery`, '<xml/>', {})).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  test('/secapi/pay/refund: refused without a client certificate, with another CA\'s, and over plain http; accepted with ours', async () => {
    const outTradeNo = await paidV2Trade();
    const foreign = foreignClientCertificate(keys.wxpayMchid);
    for (const attempt of [
      () => httpsPost(`${s.tlsUrl}/secapi/pay/refund`, refundXml(outTradeNo), { ca }),
      () => httpsPost(`${s.tlsUrl}/secapi/pay/refund`, refundXml(outTradeNo), { ca, ...foreign }),
      async () => {
        const r = await request(`${s.url}/secapi/pay/refund`, { method: 'POST', body: refundXml(outTradeNo) });
        return { status: r.status, body: r.body.toString('utf8') };
      },
    ]) {
      const f = parseXml((await attempt()).body);
      expect(f.return_code).toBe('FAIL');
      expect(f.return_msg).toMatch(/证书/);
    }
    expect(s.emulators.wxpayV2.listRefunds().some((r) => r.outTradeNo === outTradeNo)).toBe(false);

    const ok = parseXml((await httpsPost(`${s.tlsUrl}/secapi/pay/refund`, refundXml(outTradeNo), { ca, ...ours })).body);
    expect(ok).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', out_refund_no: `R${outTradeNo}`, refund_fee: '400' });
  });

  test('sandbox API: a refund is settled by provider and out_refund_no, shows in the state with its deliveries; refusals', async () => {
    const outTradeNo = await paidV2Trade();
    expect(parseXml((await httpsPost(`${s.tlsUrl}/secapi/pay/refund`, refundXml(outTradeNo), { ca, ...ours })).body).result_code).toBe('SUCCESS');
    const state = async () => JSON.parse((await request(`${s.url}/sandbox/api/state`)).body.toString('utf8')) as { refunds: EmulatedRefund[] };
    expect((await state()).refunds.find((r) => r.outRefundNo === `R${outTradeNo}`)).toMatchObject({ provider: 'wxpay-v2', status: 'PROCESSING', amountFen: 400, outTradeNo });

    const abnormal = await s.post(`/sandbox/api/refunds/wxpay-v2/R${outTradeNo}/abnormal`, {});
    expect([abnormal.status, abnormal.body.refund.status]).toEqual([200, 'ABNORMAL']);
    const succeed = await s.post(`/sandbox/api/refunds/wxpay-v2/R${outTradeNo}/succeed`, {});
    expect([succeed.status, succeed.body.refund.status]).toEqual([200, 'SUCCESS']);
    await until(() => notify.received.filter((n) => n.path === '/refund').length === 2);
    const listed = (await state()).refunds.find((r) => r.outRefundNo === `R${outTradeNo}`)!;
    expect(listed.deliveries.map((d) => [d.event, d.accepted])).toEqual([
      ['refund_status CHANGE', true],
      ['refund_status SUCCESS', true],
    ]);

    expect((await s.post(`/sandbox/api/refunds/wxpay-v2/R${outTradeNo}/close`, {})).status).toBe(409);
    expect((await s.post(`/sandbox/api/refunds/wxpay-v2/NOPE/succeed`, {})).status).toBe(404);
    expect((await s.post(`/sandbox/api/refunds/wxpay-v3/R${outTradeNo}/succeed`, {})).status).toBe(404);
    expect((await s.post(`/sandbox/api/refunds/alipay/R${outTradeNo}/succeed`, {})).status).toBe(400);
    expect((await s.post(`/sandbox/api/refunds/wxpay-v2/R${outTradeNo}/pay`, {})).status).toBe(400);
    expect((await request(`${s.url}/sandbox/api/refunds/wxpay-v2/R${outTradeNo}/succeed`)).status).toBe(405);
    const state2 = await request(`${s.url}/sandbox/api/state`);
    expect(state2.body.toString('utf8')).not.toContain(keys.v2Key);
    expect(state2.body.toString('utf8')).not.toMatch(/PRIVATE KEY/);
  });
});
