// Shared by the specs: the admin's GraphQL, line-fake's control API, test images.
import zlib from 'node:zlib';
import { adminCookie } from './admin.mjs';
import { freshCode } from './totp.mjs';
import { PasswordPage, SignInPage } from './pages/index.mjs';

/** GraphQL as the e2e administrator (its one signed-in session), throwing on errors. */
export async function staffApi(base) {
  const cookie = await adminCookie(base);
  return async (query, variables = {}) => {
    const r = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ query, variables }),
    });
    const body = await r.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
}

/** line-fake's control API: GET without a body, POST with one. */
export async function fake(stack, p, body) {
  const r = await fetch(`${stack.fakeUrl}${p}`, { method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return r.json();
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A real, decodable RGB PNG: a blue-to-orange gradient (Okabe–Ito hues). */
export function png(w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = [0];
    for (let x = 0; x < w; x++) row.push(Math.round((230 * x) / w), Math.round(114 + (45 * y) / h), Math.round(178 - (178 * x) / w));
    rows.push(Buffer.from(row));
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' };

/** A new staff account signed in through the console (TOTP enrolled when a permission needs it). */
export async function staffSession(browser, stack, gql, loginId, permissions) {
  const created = await gql('mutation($i: CreateStaffAccountInput!) { createStaffAccount(input: $i) { temporaryPassword } }', {
    i: { loginId, displayName: `${loginId} 担当`, permissions },
  });
  const context = await browser.newContext({ acceptDownloads: true, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  const p = await context.newPage();
  const signIn = new SignInPage(p, stack.base);
  await signIn.open();
  const temporary = created.createStaffAccount.temporaryPassword;
  await signIn.signIn(loginId, temporary);
  if (permissions.some((x) => x.startsWith('card.pii') || x === 'card.push')) {
    await p.getByRole('heading', { name: '二要素認証の設定' }).waitFor();
    await signIn.enterCode(await freshCode(await signIn.totpSecret(), null));
  }
  await new PasswordPage(p).change(temporary, 'Chichibu-Night-2026');
  await p.getByRole('heading', { name: 'ダッシュボード' }).waitFor();
  return { context, page: p };
}
