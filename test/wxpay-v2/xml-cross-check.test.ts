import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseXmlFields, toXml } from '../../cloudfunctions/common/wxpay/v2/xml';

/**
 * Our sax-based reader and hand-written writer against fast-xml-parser (a dev dependency only: the
 * parser the module used before), configured on its own here as an ordinary reader of v2 documents.
 */
// htmlEntities: it decodes character references only with it.
const fxp = new XMLParser({ parseTagValue: false, ignoreDeclaration: true, processEntities: true, htmlEntities: true });
const theirs = (doc: string, root: string): unknown => (fxp.parse(doc) as Record<string, unknown>)[root];

/** v2 documents: the samples in the platform's docs (pretty-printed) and compact ones of the same shapes. */
const PLATFORM: [string, string, string][] = [
  [
    'unifiedorder answer (JSAPI)',
    'xml',
    `<xml>
   <return_code><![CDATA[SUCCESS]]></return_code>
   <return_msg><![CDATA[OK]]></return_msg>
   <appid><![CDATA[wx2421b1c4370ec43b]]></appid>
   <mch_id><![CDATA[10000100]]></mch_id>
   <nonce_str><![CDATA[IITRi8Iabbblz1Jc]]></nonce_str>
   <openid><![CDATA[oUpF8uMuAJO_M2pxb1Q9zNjWeS6o]]></openid>
   <sign><![CDATA[7921E432F65EB8ED0CE9755F0E86D72F]]></sign>
   <result_code><![CDATA[SUCCESS]]></result_code>
   <prepay_id><![CDATA[wx201411101639507cbf6ffd8b0779950874]]></prepay_id>
   <trade_type><![CDATA[JSAPI]]></trade_type>
</xml>`,
  ],
  [
    'unifiedorder answer (NATIVE)',
    'xml',
    '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[5K8264ILTKCH16CQ]]></nonce_str><sign><![CDATA[C380BEC2BFD727A4B6845133519F3AD6]]></sign><result_code><![CDATA[SUCCESS]]></result_code><prepay_id><![CDATA[wx20160909090934f8a5e6b1a10318946745]]></prepay_id><trade_type><![CDATA[NATIVE]]></trade_type><code_url><![CDATA[weixin://wxpay/bizpayurl?pr=8dGsBZg&a=1]]></code_url></xml>',
  ],
  [
    'unifiedorder refusal',
    'xml',
    '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg><result_code><![CDATA[FAIL]]></result_code><err_code><![CDATA[ORDERPAID]]></err_code><err_code_des><![CDATA[该订单已支付]]></err_code_des><sign><![CDATA[0F7C1B4A7E3C4E1B8B2C2D2F3A4B5C6D]]></sign></xml>',
  ],
  ['a signature failure', 'xml', '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[签名错误]]></return_msg></xml>'],
  [
    'payment notification',
    'xml',
    `<xml>
  <appid><![CDATA[wx2421b1c4370ec43b]]></appid>
  <attach><![CDATA[支付测试]]></attach>
  <bank_type><![CDATA[CFT]]></bank_type>
  <fee_type><![CDATA[CNY]]></fee_type>
  <is_subscribe><![CDATA[Y]]></is_subscribe>
  <mch_id><![CDATA[10000100]]></mch_id>
  <nonce_str><![CDATA[5d2b6c2a8db53831f7eda20af46e531c]]></nonce_str>
  <openid><![CDATA[oUpF8uMEb4qRXf22hE3X68TekukE]]></openid>
  <out_trade_no><![CDATA[1409811653]]></out_trade_no>
  <result_code><![CDATA[SUCCESS]]></result_code>
  <return_code><![CDATA[SUCCESS]]></return_code>
  <sign><![CDATA[B552ED6B279343CB493C5DD0D78AB241]]></sign>
  <time_end><![CDATA[20140903131540]]></time_end>
  <total_fee>1</total_fee>
  <coupon_fee><![CDATA[10]]></coupon_fee>
  <coupon_count><![CDATA[1]]></coupon_count>
  <coupon_type><![CDATA[CASH]]></coupon_type>
  <coupon_id><![CDATA[10000]]></coupon_id>
  <trade_type><![CDATA[JSAPI]]></trade_type>
  <transaction_id><![CDATA[1004400740201409030005092168]]></transaction_id>
</xml>`,
  ],
  [
    'orderquery answer',
    'xml',
    '<?xml version="1.0" encoding="UTF-8"?>\r\n<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[TN55wO9Pba5yENl8]]></nonce_str><sign><![CDATA[BDF0099C15FF7BC6B1585FBB110AB635]]></sign><result_code><![CDATA[SUCCESS]]></result_code><openid><![CDATA[oUpF8uN95-Ptaags6E_roPHg7AG0]]></openid><is_subscribe><![CDATA[Y]]></is_subscribe><trade_type><![CDATA[JSAPI]]></trade_type><bank_type><![CDATA[CCB_DEBIT]]></bank_type><total_fee>1</total_fee><fee_type><![CDATA[CNY]]></fee_type><transaction_id><![CDATA[1008450740201411110005820873]]></transaction_id><out_trade_no><![CDATA[1415757673]]></out_trade_no><attach><![CDATA[订单额外描述]]></attach><time_end><![CDATA[20141111170043]]></time_end><trade_state><![CDATA[SUCCESS]]></trade_state><trade_state_desc><![CDATA[支付成功]]></trade_state_desc></xml>\r\n',
  ],
  [
    'refund answer',
    'xml',
    '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[NfsMFbUFpdbEhPXP]]></nonce_str><sign><![CDATA[B7274EB9F8925EB93100DD2085FA56C0]]></sign><result_code><![CDATA[SUCCESS]]></result_code><transaction_id><![CDATA[1008450740201411110005820873]]></transaction_id><out_trade_no><![CDATA[1415757673]]></out_trade_no><out_refund_no><![CDATA[1415701182]]></out_refund_no><refund_id><![CDATA[2008450740201411110000174436]]></refund_id><refund_channel><![CDATA[]]></refund_channel><refund_fee>1</refund_fee><coupon_refund_fee>0</coupon_refund_fee></xml>',
  ],
  [
    'refund notification',
    'xml',
    '<xml><return_code>SUCCESS</return_code><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str><req_info><![CDATA[T87GAHG17TGAHG1TGHAHAHA1Y1CIOA9UGJH1GAHV871HAGAGQYQQPOOJMXNBCXBVNMNMAJAA+/=]]></req_info></xml>',
  ],
  [
    'decrypted req_info',
    'root',
    `<root>
<out_refund_no><![CDATA[131811191610442717309]]></out_refund_no>
<out_trade_no><![CDATA[71106718111915575302817]]></out_trade_no>
<refund_account><![CDATA[REFUND_SOURCE_RECHARGE_FUNDS]]></refund_account>
<refund_fee><![CDATA[3960]]></refund_fee>
<refund_id><![CDATA[50000408942018111907145868882]]></refund_id>
<refund_recv_accout><![CDATA[支付用户零钱]]></refund_recv_accout>
<refund_request_source><![CDATA[API]]></refund_request_source>
<refund_status><![CDATA[SUCCESS]]></refund_status>
<settlement_refund_fee><![CDATA[3960]]></settlement_refund_fee>
<settlement_total_fee><![CDATA[3960]]></settlement_total_fee>
<success_time><![CDATA[2018-11-19 16:24:13]]></success_time>
<total_fee><![CDATA[3960]]></total_fee>
<transaction_id><![CDATA[4200000215201811190261405420]]></transaction_id>
</root>`,
  ],
  ['our notification reply', 'xml', '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>'],
  [
    'a merchant request from the docs (plain text, no CDATA)',
    'xml',
    '<xml>\n<appid>wxd930ea5d5a258f4f</appid>\n<mch_id>10000100</mch_id>\n<device_info>1000</device_info>\n<body>test</body>\n<nonce_str>ibuaiVcKdpRxkhJA</nonce_str>\n<sign>9A0A8659F005D6984697E2CA0A9CF3B7</sign>\n</xml>',
  ],
  ['entities and character references', 'xml', '<xml><a>x &amp; y &lt;z&gt; &quot;q&quot; &apos;s&apos;</a><b>&#20013;&#x6587;</b><c>&#32;kept&#32;</c></xml>'],
  ['a comment and an empty CDATA', 'xml', '<xml><!-- before --><a>1<!-- inside -->2</a><b><![CDATA[]]></b><c></c><d/></xml>'],
  ['text and CDATA in one value', 'xml', '<xml><a> x <![CDATA[ y ]]> z </a><b><![CDATA[a]]]]><![CDATA[>b]]></b></xml>'],
];

describe('v2 XML cross-checked with fast-xml-parser', () => {
  test.each(PLATFORM)('both read the same fields from %s', (_, root, doc) => {
    const ours = parseXmlFields(doc, [root]);
    expect(Object.keys(ours).length).toBeGreaterThan(0);
    expect(ours).toEqual(theirs(doc, root));
  });

  const awkward = {
    cdata_end: 'a]]>b',
    cdata_ends: ']]>]]]>>]]',
    markup: '<a href="x">&amp;</a> & <',
    chinese: '测试商品 <礼盒> & "引号" \'单引号\'',
    spaced: '  leading and trailing  ',
    empty: '',
    lines: 'first\nsecond\n',
    number_like: '0001',
    exponent: '1e3',
    emoji: '付款 😀',
  };

  test('it reads back exactly what toXml writes: ]]>, <, &, Chinese, empty strings, integers', () => {
    const xml = toXml({ ...awkward, total_fee: 888, zero: 0 });
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(theirs(xml, 'xml')).toEqual({ ...awkward, total_fee: '888', zero: '0' });
    expect(parseXmlFields(xml, ['xml'])).toEqual({ ...awkward, total_fee: '888', zero: '0' });
  });

  test('and so for many generated values (seeded), one field each', () => {
    const alphabet = [']', ']', '>', '<', '&', ';', '#', '"', "'", ' ', '\n', '\t', 'a', 'Z', '0', '中', '文', '😀', '[', '!', 'C', 'D', 'A', 'T'];
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 500; i++) {
      let value = '';
      for (let n = Math.floor(next() * 24); n > 0; n--) value += alphabet[Math.floor(next() * alphabet.length)];
      const xml = toXml({ v: value });
      expect(theirs(xml, 'xml')).toEqual({ v: value });
      expect(parseXmlFields(xml, ['xml'])).toEqual({ v: value });
    }
  });

  test.each([
    ['a space after <', '< xml><a>1</a></xml>'],
    ['a space after </', '<xml><a>1</ a></xml>'],
    ['an unterminated character reference', '<xml><a>&#65</a></xml>'],
    ['an upper-case X in a character reference', '<xml><a>&#X41;</a></xml>'],
    ['an unquoted attribute', '<xml><a b=1>x</a></xml>'],
    ['text after the root', '<xml><a>1</a></xml>junk'],
  ])('both refuse a document that is not well-formed: %s', (_, doc) => {
    expect(XMLValidator.validate(doc)).not.toBe(true);
    expect(() => parseXmlFields(doc, ['xml'])).toThrow(expect.objectContaining({ name: 'XmlFormatError' }));
  });
});
