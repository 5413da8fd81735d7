import { Transformer } from 'wechatpay-axios-plugin';
import { XMLParser } from 'fast-xml-parser';
import { parseXml, parseXmlFields, toXml, XmlFormatError } from '../../cloudfunctions/common/wxpay/v2/xml';

const tricky = {
  body: '测试商品 <礼盒> & "引号" \'单引号\'',
  attach: 'a]]>b]]>',
  out_trade_no: 'T-2024|x*1',
  spaced: '  leading and trailing  ',
  empty: '',
  line: 'first\nsecond',
};

describe('v2 XML', () => {
  test('round trip keeps every value exactly (CDATA, special characters, Chinese, ]]>)', () => {
    const xml = toXml({ ...tricky, total_fee: 888 });
    expect(xml.startsWith('<xml>')).toBe(true);
    expect(xml.endsWith('</xml>')).toBe(true);
    expect(parseXml(xml)).toEqual({ ...tricky, total_fee: '888' });
  });

  test('strings go in CDATA, integers as plain text, undefined fields are left out', () => {
    expect(toXml({ return_code: 'SUCCESS', total_fee: 1, sign_type: undefined })).toBe(
      '<xml><return_code><![CDATA[SUCCESS]]></return_code><total_fee>1</total_fee></xml>',
    );
    expect(() => toXml({ total_fee: 9.8 })).toThrow(XmlFormatError);
  });

  test('values stay strings: leading zeros and number-like text are not converted', () => {
    expect(parseXml('<xml><a>0001</a><b>1e3</b><c>true</c><d><![CDATA[12.50]]></d></xml>')).toEqual({ a: '0001', b: '1e3', c: 'true', d: '12.50' });
  });

  test('reads a platform-style document with a declaration, whitespace, entities and character references', () => {
    const doc = '<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <return_code><![CDATA[SUCCESS]]></return_code>\n  <a>x &amp; y &lt;z&gt;</a>\n  <b>&#20013;&#x6587;</b>\n</xml>\n';
    expect(parseXml(Buffer.from(doc))).toEqual({ return_code: 'SUCCESS', a: 'x & y <z>', b: '中文' });
  });

  test.each([
    ['empty input', ''],
    ['not XML', 'return_code=SUCCESS'],
    ['unclosed element', '<xml><a>1</a>'],
    ['mismatched tags', '<xml><a>1</b></xml>'],
    ['another root', '<root><a>1</a></root>'],
    ['two roots', '<xml><a>1</a></xml><xml><b>2</b></xml>'],
    ['a nested element', '<xml><a><b>1</b></a></xml>'],
    ['a repeated field', '<xml><a>1</a><a>2</a></xml>'],
    ['text beside fields', '<xml>hi<a>1</a></xml>'],
    ['an internal DTD entity', '<!DOCTYPE xml [<!ENTITY e "expanded">]><xml><a>&e;</a></xml>'],
    ['an external entity (XXE)', '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>'],
    ['an HTML entity', '<xml><a>&nbsp;</a></xml>'],
    ['a NUL character reference', '<xml><a>&#0;</a></xml>'],
    ['a prototype-polluting name', '<xml><__proto__>1</__proto__></xml>'],
  ])('rejects %s', (_, doc) => {
    expect(() => parseXml(doc)).toThrow(XmlFormatError);
  });

  test('an empty <xml> has no fields', () => {
    expect(parseXml('<xml></xml>')).toEqual({});
  });
});

describe('cross-check with wechatpay-axios-plugin Transformer', () => {
  test('they read what we write', () => {
    const xml = toXml({ ...tricky, total_fee: 888 });
    expect(Transformer.toObject(xml)).toEqual({ ...tricky, total_fee: '888' });
  });

  test('we read what they write', () => {
    // Their builder leaves empty values as empty elements and uses CDATA only for special characters.
    const data = { body: tricky.body, out_trade_no: tricky.out_trade_no, total_fee: '888', note: '中文', attach: 'plain' };
    const xml = Transformer.toXml(data);
    expect(parseXml(xml)).toEqual(data);
  });
});

describe('v2 XML: whitespace, CDATA and the edges of the reader', () => {
  test('plain text is trimmed as written; CDATA and character-referenced spaces are kept', () => {
    expect(parseXml('<xml><a>\n  x  \n</a><b><![CDATA[  y  ]]></b><c>&#32;z&#32;</c><d> <![CDATA[ w ]]> </d><e> p <![CDATA[ q ]]> r </e></xml>')).toEqual({
      a: 'x',
      b: '  y  ',
      c: ' z ',
      d: ' w ',
      e: 'p q r',
    });
  });

  test('a comment does not split a value; its text is left out', () => {
    expect(parseXml('<xml><a> 1 <!-- note --> 2 </a><!-- between --><b>3<!----></b></xml>')).toEqual({ a: '1  2', b: '3' });
  });

  test('line ends read as XML reads them: CR LF and CR become LF, &#13; stays a CR', () => {
    expect(parseXml('<xml>\r\n<a>1\r\n2\r3</a><b><![CDATA[x\r\ny]]></b><c>p&#13;&#10;q</c></xml>')).toEqual({ a: '1\n2\n3', b: 'x\ny', c: 'p\r\nq' });
  });

  test('values longer than the parser buffer (64 KiB) stay whole', () => {
    const long = `${'x'.repeat(65535)} ${'y'.repeat(40000)}`;
    const longCdata = `${'z'.repeat(70000)}]]>${'w'.repeat(70000)}`;
    expect(parseXml(`<xml><a>  ${long}  </a>${toXml({ b: longCdata }).slice(5, -6)}</xml>`)).toEqual({ a: long, b: longCdata });
  });

  test('a decrypted req_info is read under <root>; parseXml itself takes only <xml>', () => {
    expect(parseXmlFields('<root><refund_status><![CDATA[SUCCESS]]></refund_status></root>', ['root', 'xml'])).toEqual({ refund_status: 'SUCCESS' });
    expect(() => parseXmlFields('<xml><a>1</a></xml>', ['root'])).toThrow(XmlFormatError);
  });

  test.each([
    ['an attribute on the root', '<xml version="1"><a>1</a></xml>'],
    ['an attribute on a field', '<xml><a currency="USD">1</a></xml>'],
    ['an attributes-only field', '<xml><a b="1"/></xml>'],
    ['a namespace declaration', '<xml xmlns="urn:x"><a>1</a></xml>'],
    ['a processing instruction', '<xml><?php echo 1 ?><a>1</a></xml>'],
    ['an XML declaration inside the root', '<xml><?xml version="1.0"?><a>1</a></xml>'],
    ['whitespace before the XML declaration', ' <?xml version="1.0"?><xml><a>1</a></xml>'],
    ['a markup declaration', '<!ELEMENT xml ANY><xml><a>1</a></xml>'],
    ['an empty character reference', '<xml><a>&#;</a></xml>'],
    ['an upper-case predefined entity', '<xml><a>&AMP;</a></xml>'],
    ['-- inside a comment', '<xml><a><!-- a -- b -->1</a></xml>'],
    ['a second root after a self-closed one', '<xml/><xml/>'],
    ['only a comment', '<!-- no root -->'],
    ['a field named toString', '<xml><toString>1</toString></xml>'],
    ['a field named constructor', '<xml><constructor>1</constructor></xml>'],
    ['a field named hasOwnProperty', '<xml><hasOwnProperty>1</hasOwnProperty></xml>'],
    ['a field named prototype', '<xml><prototype>1</prototype></xml>'],
    ['CDATA beside fields', '<xml><![CDATA[x]]><a>1</a></xml>'],
    ['a field inside a value', '<xml><a>x<b/></a></xml>'],
  ])('also rejects %s', (_, doc) => {
    expect(() => parseXml(doc)).toThrow(XmlFormatError);
  });

  test('a CR in a value survives the round trip (inside CDATA a reader would make it LF)', () => {
    const fields = { a: 'x\r\ny', b: '\r', c: 'p\rq]]>\r' };
    expect(parseXml(toXml(fields))).toEqual(fields);
    expect(new XMLParser({ parseTagValue: false, trimValues: false, htmlEntities: true }).parse(toXml(fields)).xml).toEqual(fields);
  });

  test('toXml writes no name that parseXml would refuse', () => {
    expect(() => toXml(JSON.parse('{"__proto__": "x"}'))).toThrow(XmlFormatError);
    expect(() => toXml({ constructor: 'x' })).toThrow(XmlFormatError);
    expect(() => toXml({ 'a-b': 'x' })).toThrow(XmlFormatError);
  });
});
