import { parser as saxParser } from 'sax';
import type { V2Fields } from './sign';

/** Raised for a document that is not a flat `<xml>` of scalar fields. */
export class XmlFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlFormatError';
  }
}

const PREDEFINED = new Map([['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"]]);

function decodeReference(ref: string, body: string): string {
  if (/^#x[0-9A-Fa-f]+$|^#[0-9]+$/.test(body)) {
    const code = body[1] === 'x' ? parseInt(body.slice(2), 16) : Number(body.slice(1));
    if (!Number.isInteger(code) || code <= 0 || code > 0x10ffff) throw new XmlFormatError(`bad character reference ${ref}`);
    return String.fromCodePoint(code);
  }
  const ch = PREDEFINED.get(body);
  if (ch === undefined) throw new XmlFormatError(`unknown entity ${ref}`);
  return ch;
}

/** The five predefined entities (case-sensitive) and character references, and nothing else. */
function decodeText(text: string): string {
  return text.replace(/&([^;]*);/g, decodeReference);
}

/**
 * sax decodes a reference by looking its name up here. Every name is handed back as written, so
 * text arrives undecoded and decodeText decides: sax alone would also take `&AMP;` or `&#X41;`, and
 * trimming must see the text as written (a `&#32;` is a space the sender meant to keep).
 */
const REFERENCES_AS_WRITTEN = new Proxy(Object.create(null) as Record<string, string>, {
  get: (_, name) => (typeof name === 'string' ? `&${name};` : undefined),
});

/** The platform's field names: letters, digits and underscores. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names an object already has (`__proto__`, `constructor`, `toString`…): as fields they would pollute or shadow it. */
const RESERVED = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);
const isFieldName = (name: string): boolean => FIELD_NAME.test(name) && !RESERVED.has(name);

/**
 * Parses `<xml><field>value</field>…</xml>` into its fields, all strings. Throws XmlFormatError for
 * anything else: a malformed document, DTDs, another root, nested elements, attributes, repeated fields,
 * text beside fields. `parseXmlFields` takes other roots too (a decrypted refund `req_info` is a `<root>`).
 *
 * A value is its text with the whitespace around each run of plain text trimmed (the platform's
 * pretty-printed documents indent; its signing SDK trims values) and its CDATA sections exactly as
 * written, in order. Values stay strings: "0001" and "1e3" reach the signature check unchanged.
 */
export function parseXml(text: string | Buffer): Record<string, string> {
  return parseXmlFields(text, ['xml']);
}

export function parseXmlFields(text: string | Buffer, roots: readonly string[]): Record<string, string> {
  const xml = typeof text === 'string' ? text : text.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new XmlFormatError('DTDs are not accepted');
  try {
    return readFlat(xml, roots);
  } catch (e) {
    throw e instanceof XmlFormatError ? e : new XmlFormatError(`not well-formed XML (${(e as Error).message.split('\n')[0]})`);
  }
}

function readFlat(xml: string, roots: readonly string[]): Record<string, string> {
  // Line ends as XML reads them (§2.11), before parsing: CR LF and a lone CR become LF.
  const doc = xml.replace(/\r\n?/g, '\n');
  const notSingleRoot = () => new XmlFormatError(`the document must have the single root ${roots.map((r) => `<${r}>`).join(' or ')}`);
  const fields: Record<string, string> = {};
  let root: string | undefined;
  let rootClosed = false;
  let field: string | undefined;
  let value = '';
  /** Plain text since the last tag or CDATA section, as written (comments do not end it). */
  let pending = '';
  // Only a declaration at the very start of the document; any other processing instruction is refused.
  let declarationAllowed = /^\uFEFF?<\?xml[\s?]/.test(doc);

  const takePending = (): string => {
    const t = decodeText(pending.trim());
    pending = '';
    return t;
  };
  const noText = (): void => {
    if (takePending() !== '') throw new XmlFormatError(`<${root}> must hold only elements`);
  };

  const p = saxParser(true);
  p.ENTITIES = REFERENCES_AS_WRITTEN;
  // sax lets `< a>` and `</ a>` through; XML allows no space after `<` or `</`. startTagPosition is
  // the index just past the tag's `<`.
  const nameRightAfter = (prefix: string, name: string): void => {
    if (!doc.startsWith(prefix + name, p.startTagPosition)) throw new XmlFormatError(`malformed tag <${prefix}${name}>`);
  };
  p.onopentagstart = (tag) => nameRightAfter('', tag.name);
  p.onerror = (e) => {
    throw e;
  };
  p.ontext = (t) => {
    pending += t;
  };
  p.oncdata = (t) => {
    if (field === undefined) {
      noText();
      if (t !== '') throw new XmlFormatError(`<${root}> must hold only elements`);
      return;
    }
    value += takePending() + t;
  };
  p.onopentag = (tag) => {
    if (Object.keys(tag.attributes).length > 0) throw new XmlFormatError(`<${tag.name}> must have no attributes`);
    if (root === undefined) {
      if (!roots.includes(tag.name)) throw notSingleRoot();
      root = tag.name;
      pending = ''; // whitespace before the root
      return;
    }
    if (rootClosed) throw notSingleRoot();
    if (field !== undefined) throw new XmlFormatError(`field <${field}> must be a single text value`);
    noText();
    if (!isFieldName(tag.name)) throw new XmlFormatError(`<${root}> must hold only fields (found <${tag.name}>)`);
    if (fields[tag.name] !== undefined) throw new XmlFormatError(`field <${tag.name}> is repeated`);
    field = tag.name;
    value = '';
  };
  p.onclosetag = (name) => {
    // Of a self-closing tag (`<a/>`) the position is still the opening one's.
    if (doc[p.startTagPosition] === '/') nameRightAfter('/', name);
    if (field !== undefined) {
      fields[field] = value + takePending();
      field = undefined;
    } else {
      noText();
      rootClosed = true;
    }
  };
  p.onprocessinginstruction = (pi) => {
    if (pi.name !== 'xml' || !declarationAllowed) throw new XmlFormatError(`processing instructions are not accepted (<?${pi.name}?>)`);
    declarationAllowed = false;
  };
  p.onsgmldeclaration = () => {
    throw new XmlFormatError('declarations are not accepted');
  };
  p.write(doc).close();
  if (!rootClosed) throw notSingleRoot();
  return fields;
}

/**
 * CDATA holds anything but its own end: `]]>` is split across two sections. A CR goes between sections
 * as `&#13;`: inside CDATA any reader turns it into LF, and a signed value must arrive as it was signed.
 */
const cdata = (s: string): string => `<![CDATA[${s.replace(/]]>/g, ']]]]><![CDATA[>').replace(/\r/g, ']]>&#13;<![CDATA[')}]]>`;

/**
 * `<xml>` with one element per defined field: strings in CDATA (as the platform writes them),
 * integers as plain text.
 */
export function toXml(fields: V2Fields): string {
  let body = '';
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (!isFieldName(name)) throw new XmlFormatError(`bad field name ${JSON.stringify(name)}`);
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new XmlFormatError(`field ${name} must be an integer, not ${value}`);
      body += `<${name}>${value}</${name}>`;
    } else {
      body += `<${name}>${cdata(value)}</${name}>`;
    }
  }
  return `<xml>${body}</xml>`;
}
