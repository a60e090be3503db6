/**
 * @module The QR code of an otpauth:// URI as an inline SVG. Only qrcode's core and SVG renderer: the package's
 * entry also loads PNG support and Node streams, which the edge runtime has not (scripts/db/check-edge-bundle.ts).
 */
import QRCodeCore from 'qrcode/lib/core/qrcode.js';
import SvgTag from 'qrcode/lib/renderer/svg-tag.js';

/** An SVG QR code of `text` (error correction M, a one-module quiet zone), for an authenticator app to scan. */
export function qrSvg(text: string): string {
  return SvgTag.render(QRCodeCore.create(text, { errorCorrectionLevel: 'M' }), { margin: 1 });
}
