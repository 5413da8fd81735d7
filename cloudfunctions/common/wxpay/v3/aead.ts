import * as crypto from 'node:crypto';

/**
 * AEAD_AES_256_GCM as used for notification resources: key = the 32-byte APIv3 key, a 12-byte nonce
 * (sent as a 12-character string), AAD = associated_data, ciphertext = base64(encrypted || 16-byte tag).
 */

export interface EncryptedResource {
  ciphertext: string;
  nonce: string;
  associated_data: string;
}

const TAG_BYTES = 16;

/** Thrown when the tag does not verify (wrong key, nonce or AAD, or tampering). */
export class ResourceDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceDecryptError';
  }
}

export function decryptResource(resource: EncryptedResource, apiV3Key: Buffer): string {
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length < TAG_BYTES) throw new ResourceDecryptError('ciphertext is shorter than the authentication tag.');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', apiV3Key, Buffer.from(resource.nonce, 'utf8'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(resource.associated_data, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (e) {
    throw new ResourceDecryptError(`resource does not decrypt: ${(e as Error).message}`);
  }
}

/** The platform's side (emulator): a fresh 12-character nonce unless one is given. */
export function encryptResource(plaintext: string, apiV3Key: Buffer, associatedData: string, nonce = crypto.randomBytes(6).toString('hex')): EncryptedResource {
  const cipher = crypto.createCipheriv('aes-256-gcm', apiV3Key, Buffer.from(nonce, 'utf8'), { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { ciphertext: body.toString('base64'), nonce, associated_data: associatedData };
}
