// wx.openBusinessView (base library ≥ 2.6.0) is missing from miniprogram-api-typings; optional, since older
// WeChat versions lack it. Used for 确认收货 (businessType 'weappOrderConfirm').
declare namespace WechatMiniprogram {
  interface Wx {
    openBusinessView?(options: {
      businessType: string;
      extraData?: Record<string, unknown>;
      success?: (res: { errMsg: string }) => void;
      fail?: (err: { errMsg: string }) => void;
      complete?: () => void;
    }): void;
  }
}
