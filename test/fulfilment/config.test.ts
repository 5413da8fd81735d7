import { ConfigError, loadConfig } from '../../cloudfunctions/common/config';

describe('SHIPPING_INFO_UPLOAD', () => {
  const env = { PAYJS_MCHID: '1500000001', PAYJS_KEY: 'k', PAYJS_NOTIFY_URL: 'https://example.com/payNotify' };

  it('is on by default, and off turns the upload off', () => {
    expect(loadConfig(env).shippingUpload).toBe(true);
    expect(loadConfig({ ...env, SHIPPING_INFO_UPLOAD: 'on' }).shippingUpload).toBe(true);
    expect(loadConfig({ ...env, SHIPPING_INFO_UPLOAD: 'off' }).shippingUpload).toBe(false);
  });

  it('refuses anything else, naming the variable', () => {
    let err: unknown;
    try {
      loadConfig({ ...env, SHIPPING_INFO_UPLOAD: 'false' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ variable: 'SHIPPING_INFO_UPLOAD', code: 'CONFIG_ERROR' });
    expect((err as Error).message).toContain('SHIPPING_INFO_UPLOAD');
  });
});
