/**
 * @module Encryption at rest of second-factor secrets (the TOTP seed): AES-256-GCM on Web Crypto, under the
 * key ring MFA_ENCRYPTION_KEY (newest first: the first encrypts, all decrypt). Each ciphertext names its key
 * by a short id, so rotating the ring is adding a key in front, and removing the old one once no row uses it.
 * The user id is bound in as associated data: a ciphertext copied onto another user's row does not decrypt.
 */
import { fromBase64Url, toBase64Url, randomBytes } from '../encoding/base64url';

const FORMAT = 'v1';
const encoder = new TextEncoder();

interface RingKey {
  id: string;
  key: CryptoKey;
}

/** Thrown when a ciphertext is malformed, names no key of the ring, or fails authentication. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/** Encrypts and decrypts small secrets under a key ring. */
export class SecretBox {
  private ringPromise: Promise<RingKey[]> | undefined;

  /** A box over the ring's secrets (newest first); keys are derived on first use. */
  constructor(private readonly secrets: readonly string[]) {
    if (secrets.length === 0) throw new SecretBoxError('the key ring is empty');
  }

  /** One AES-256-GCM key per secret of the ring (HKDF-SHA256), newest first. */
  private ring(): Promise<RingKey[]> {
    this.ringPromise ??= derive(this.secrets);
    return this.ringPromise;
  }

  /** Encrypts `plain` for `owner` with the newest key: `v1.<key id>.<iv>.<ciphertext>`. */
  async seal(plain: string, owner: string): Promise<string> {
    const { id, key } = (await this.ring())[0]!;
    const iv = new Uint8Array(randomBytes(12));
    const sealed = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(owner) },
      key,
      encoder.encode(plain),
    );
    return [FORMAT, id, toBase64Url(iv), toBase64Url(sealed)].join('.');
  }

  /** Decrypts a value sealed for `owner` by any key of the ring. */
  async open(sealed: string, owner: string): Promise<string> {
    const [format, id, ivText, body] = sealed.split('.');
    const iv = fromBase64Url(ivText ?? '');
    const data = fromBase64Url(body ?? '');
    if (format !== FORMAT || !iv || iv.length !== 12 || !data) throw new SecretBoxError('malformed ciphertext');
    const entry = (await this.ring()).find((k) => k.id === id);
    if (!entry) throw new SecretBoxError(`no key of MFA_ENCRYPTION_KEY has id ${id}: was it removed too early?`);
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: new Uint8Array(iv), additionalData: encoder.encode(owner) },
        entry.key,
        new Uint8Array(data),
      );
      return new TextDecoder().decode(plain);
    } catch {
      throw new SecretBoxError('ciphertext failed authentication');
    }
  }

  /** True when `sealed` was not sealed by the newest key (it should be re-sealed). */
  async isStale(sealed: string): Promise<boolean> {
    return sealed.split('.')[1] !== (await this.ring())[0]!.id;
  }
}

async function derive(secrets: readonly string[]): Promise<RingKey[]> {
  return Promise.all(
    secrets.map(async (secret) => {
      const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveKey']);
      const params = { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode('mfa-secret-box v1') };
      const key = await crypto.subtle.deriveKey(params, material, { name: 'AES-GCM', length: 256 }, false, [
        'encrypt',
        'decrypt',
      ]);
      // The id names the key without revealing it: 48 bits of a hash under its own label.
      const digest = await crypto.subtle.digest('SHA-256', encoder.encode(`mfa-key-id:${secret}`));
      return { id: toBase64Url(new Uint8Array(digest).slice(0, 6)), key };
    }),
  );
}
