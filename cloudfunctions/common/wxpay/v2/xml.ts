import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { V2Fields } from './sign';

/** Raised for a document that is not a flat `<xml>` of scalar fields. */
export class XmlFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlFormatError';
  }
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeReference(ref: string, body: string): string {
  if (body[0] !== '#') {
    const ch = PREDEFINED[body];
    if (ch === undefined) throw new XmlFormatError(`unknown entity ${ref}`);
    return ch;
  }
  const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : Number(body.slice(1));
  if (!Number.isInteger(code) || code <= 0 || code > 0x10ffff) throw new XmlFormatError(`bad character reference ${ref}`);
  return String.fromCodePoint(code);
}

/**
 * Decodes the five predefined entities and character references in one pass, and nothing else:
 * DOCTYPE-declared entities (the XXE / "billion laughs" vectors) are refused before parsing.
 */
const entityDecoder = {
  setExternalEntities(entities: Record<string, string>): void {
    if (Object.keys(entities).length > 0) throw new XmlFormatError('entities are not accepted');
  },
  addInputEntities(entities: Record<string, string>): void {
    if (Object.keys(entities).length > 0) throw new XmlFormatError('entities are not accepted');
  },
  reset(): void {},
  setXmlVersion(): void {},
  decode(text: string): string {
    return text.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);/g, decodeReference);
  },
};

const parser = new XMLParser({
  // Values stay strings: "0001" and "1e3" must reach the signature check unchanged.
  parseTagValue: false,
  ignoreDeclaration: true,
  ignoreAttributes: true,
  processEntities: true,
  entityDecoder,
});

const builder = new XMLBuilder({ cdataPropName: '#cdata', suppressEmptyNode: false, processEntities: true });

/** The platform's field names: letters, digits and underscores. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses `<xml><field>value</field>…</xml>` into its fields, all strings. Throws XmlFormatError for
 * anything else: a malformed document, DTDs, another root, nested elements, repeated fields.
 * `parseXmlFields` takes other roots too (a decrypted refund `req_info` is a `<root>`).
 */
export function parseXml(text: string | Buffer): Record<string, string> {
  return parseXmlFields(text, ['xml']);
}

export function parseXmlFields(text: string | Buffer, roots: readonly string[]): Record<string, string> {
  const xml = typeof text === 'string' ? text : text.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new XmlFormatError('DTDs are not accepted');
  if (XMLValidator.validate(xml) !== true) throw new XmlFormatError('not well-formed XML');
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (e) {
    throw new XmlFormatError(e instanceof XmlFormatError ? e.message : `unparseable XML (${(e as Error).message})`);
  }
  const found = Object.keys(doc as object);
  if (found.length !== 1 || !roots.includes(found[0])) throw new XmlFormatError(`the document must have the single root ${roots.map((r) => `<${r}>`).join(' or ')}`);
  const root = (doc as Record<string, unknown>)[found[0]];
  if (root === '') return {};
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new XmlFormatError(`<${found[0]}> must hold fields`);
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(root)) {
    if (!FIELD_NAME.test(name)) throw new XmlFormatError(`<${found[0]}> must hold only elements (found ${JSON.stringify(name)})`);
    if (typeof value !== 'string') throw new XmlFormatError(`field <${name}> must be a single text value`);
    fields[name] = value;
  }
  return fields;
}

/**
 * `<xml>` with one element per defined field: strings in CDATA (as the platform writes them),
 * numbers as plain text.
 */
export function toXml(fields: V2Fields): string {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (!FIELD_NAME.test(name)) throw new XmlFormatError(`bad field name ${JSON.stringify(name)}`);
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new XmlFormatError(`field ${name} must be an integer, not ${value}`);
      body[name] = String(value);
    } else {
      body[name] = { '#cdata': value };
    }
  }
  return builder.build({ xml: body });
}
