// A tracked link's QR code as the creator portal and the console serve it: an SVG of the link's public URL (the
// one their pages show, from publicOrigin), to show, save or print.
import type { Context } from 'hono';
import { safeFilename } from '../../lib/csv';
import { encodeQr, qrSvg } from '../../lib/qr';

// A slug as links are made (routes/admin/links.ts LINK_SLUG, the redirect's shape): anything else is no link of
// anyone's, answered 404 before a query.
export const QR_SLUG = /^[A-Za-z0-9_-]{1,64}$/;

// The link as a person reads it, without the scheme: "chorus.example/r/sarah-lumen".
export const readableUrl = (url: string) => url.replace(/^https?:\/\//, '');

export const qrLabel = (url: string) => `QR code for ${readableUrl(url)}`;

// 10 px a module: a downloaded file opens at a size that prints sharp (it is a vector, so any size does).
const DOWNLOAD_MODULE_PX = 10;

// Level M (15% of the code can be lost: a scuff, a fold, a logo sticker) in about version 3 for a usual link.
// Private: only the signed-in person may fetch it; a few minutes, since the link's URL does not change (a link
// is re-pointed, never renamed). Its own CSP, as an SVG opened from our origin is a document of it.
export function qrSvgResponse(c: Context, url: string, slug: string): Response {
  const svg = qrSvg(encodeQr(url, { ecLevel: 'M' }).modules, { quietZone: 4, title: qrLabel(url), moduleSize: DOWNLOAD_MODULE_PX });
  const headers: Record<string, string> = {
    'Content-Type': 'image/svg+xml; charset=utf-8',
    'Cache-Control': 'private, max-age=300',
    Vary: 'Cookie',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'",
  };
  if (c.req.query('download') === '1') headers['Content-Disposition'] = `attachment; filename="${safeFilename(`${slug}-qr.svg`)}"`;
  return c.body(svg, 200, headers);
}
