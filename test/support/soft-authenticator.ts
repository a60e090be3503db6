/**
 * A software WebAuthn authenticator for API tests: ES256 keys from Web Crypto, "none" attestation, the
 * authenticator data of WebAuthn §6.1 built by hand. It answers the options the server hands out, and can
 * be told to lie (another origin or RP id, a counter going backwards) to test the server's checks.
 */
import { isoCBOR } from 'simplewebauthn-server/helpers';
import { toBase64Url } from '../../lib/encoding/base64url';

const encoder = new TextEncoder();
const sha256 = async (data: Uint8Array) => new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(data)));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};
const u32 = (n: number) => new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

/** Web Crypto's raw r||s ECDSA signature as the ASN.1 DER that WebAuthn uses. */
function derSignature(raw: Uint8Array): Uint8Array {
  const int = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let v = bytes.slice(i);
    if (v[0]! & 0x80) v = concat(new Uint8Array([0]), v);
    return concat(new Uint8Array([0x02, v.length]), v);
  };
  const body = concat(int(raw.slice(0, 32)), int(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

/** Flags of the authenticator data: user present, user verified, attested credential data. */
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

/** What to do differently from an honest authenticator. */
export interface Lies {
  origin?: string;
  rpId?: string;
  counter?: number;
  userVerified?: boolean;
}

/** One authenticator holding one credential (created by `register`). */
export class SoftAuthenticator {
  private keys: CryptoKeyPair | undefined;
  private credentialId = crypto.getRandomValues(new Uint8Array(16));
  private userHandle = '';
  /** The signature counter: each assertion increments it first. */
  counter = 0;

  constructor(private readonly origin: string) {}

  /** The credential id, base64url. */
  get id(): string {
    return toBase64Url(this.credentialId);
  }

  /** Answers registration options (PublicKeyCredentialCreationOptionsJSON) with a "none" attestation. */
  async register(options: { challenge: string; rp: { id?: string }; user: { id: string } }, lies: Lies = {}) {
    this.keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    this.userHandle = options.user.id;
    const jwk = await crypto.subtle.exportKey('jwk', this.keys.publicKey);
    const b = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, b(jwk.x!)],
        [-3, b(jwk.y!)],
      ]),
    );
    const rpId = lies.rpId ?? options.rp.id!;
    const authData = concat(
      await sha256(encoder.encode(rpId)),
      new Uint8Array([UP | (lies.userVerified === false ? 0 : UV) | AT]),
      u32(this.counter),
      new Uint8Array(16),
      new Uint8Array([0, this.credentialId.length]),
      this.credentialId,
      cose,
    );
    const attestationObject = isoCBOR.encode(
      new Map<string, Parameters<typeof isoCBOR.encode>[0]>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', authData],
      ]),
    );
    const clientData = {
      type: 'webauthn.create',
      challenge: options.challenge,
      origin: lies.origin ?? this.origin,
      crossOrigin: false,
    };
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: toBase64Url(encoder.encode(JSON.stringify(clientData))),
        attestationObject: toBase64Url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }

  /** Answers authentication options with a signed assertion. */
  async assert(options: { challenge: string; rpId?: string }, lies: Lies = {}) {
    if (!this.keys) throw new Error('register first');
    this.counter = lies.counter ?? this.counter + 1;
    const authData = concat(
      await sha256(encoder.encode(lies.rpId ?? options.rpId!)),
      new Uint8Array([UP | (lies.userVerified === false ? 0 : UV)]),
      u32(this.counter),
    );
    const clientDataJSON = encoder.encode(
      JSON.stringify({
        type: 'webauthn.get',
        challenge: options.challenge,
        origin: lies.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
    const signed = concat(authData, await sha256(clientDataJSON));
    const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.keys.privateKey, signed));
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: toBase64Url(clientDataJSON),
        authenticatorData: toBase64Url(authData),
        signature: toBase64Url(derSignature(raw)),
        userHandle: this.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }
}
