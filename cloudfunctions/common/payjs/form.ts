/** `application/x-www-form-urlencoded` bodies, as PAYJS sends and receives them. */

export class FormError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormError';
  }
}

/**
 * Decodes a form body. A repeated name is refused: the signature would cover both values while the
 * reader used only one, which is how a forged amount could ride on a genuine signature.
 */
export function parseForm(raw: Buffer | string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(raw.toString())) {
    if (name in fields) throw new FormError(`field ${name} appears more than once`);
    fields[name] = value;
  }
  return fields;
}

/** Encodes fields for a form body, leaving out null/undefined ones (as they are left out of the signature). */
export function encodeForm(fields: Record<string, string | number | null | undefined>): string {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value !== null && value !== undefined) out.append(name, String(value));
  }
  return out.toString();
}
