/** Types for the two CommonJS files of qrcode that lib/mfa/qr-svg.ts uses. */
declare module 'qrcode/lib/core/qrcode.js' {
  /** The encoded symbol: its modules, as the renderers take them. */
  export interface QRData {
    modules: { size: number; data: Uint8Array };
  }
  const core: { create(text: string, options?: { errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' }): QRData };
  export default core;
}

declare module 'qrcode/lib/renderer/svg-tag.js' {
  const svg: { render(data: import('qrcode/lib/core/qrcode.js').QRData, options?: { margin?: number; width?: number }): string };
  export default svg;
}
