// QR codes as inline SVG markup, drawn on the server by the `qrcode` library: no script, no image
// request, and nothing the strict CSP refuses. Used for badges (the badge code) and the kiosk setup link.
import QRCode from 'qrcode';
import { escapeHtml, SafeHtml } from '../../views/html.js';

/** The library's SVG for `text`, exactly as it draws it (tests regenerate it to compare). */
export function qrSvgMarkup(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** An accessible SVG QR code of `text`; `label` says what it holds (never the text itself when it is a secret). */
export async function qrCode(text: string, label: string, className = 'qr-code'): Promise<SafeHtml> {
  const svg = await qrSvgMarkup(text);
  return new SafeHtml(svg.replace('<svg ', `<svg class="${escapeHtml(className)}" role="img" aria-label="${escapeHtml(label)}" `));
}

/** The same QR code as a PNG image (for e-mail, where SVG is not shown): `size` pixels square. */
export function qrPng(text: string, size = 240): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: size });
}
