// The e2e administrator. staff.manage needs a second factor, so the admin
// enrols TOTP once (in the console's first test, or here through the API)
// and every later use shares one signed-in session: the API calls of the
// specs and the browser contexts that act as the admin (per-role login
// state). A TOTP code works once, so signing in again and again would mean
// waiting for new codes.
import { totp } from './totp.mjs';
import { ADMIN } from './stack.mjs';

const state = { secret: null, lastStep: null, cookie: null };

/** The console's own sign-in test enrolled the admin: remember the secret and the step used. */
export function adminEnrolled(secret, code) {
  state.secret = secret;
  state.lastStep = stepOf(secret, code);
}

function stepOf(secret, code) {
  const now = Math.floor(Date.now() / 30_000);
  for (const s of [now - 1, now, now + 1]) if (totp(secret, s * 30_000) === code) return s;
  return now;
}

/** A code for a step after the last one used (up to one step ahead, as clock drift allows). */
async function nextCode() {
  for (;;) {
    const now = Math.floor(Date.now() / 30_000);
    const step = [now - 1, now, now + 1].find((s) => state.lastStep === null || s > state.lastStep);
    if (step !== undefined) {
      state.lastStep = step;
      return totp(state.secret, step * 30_000);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function post(base, query, variables, cookie) {
  const r = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return { body, setCookie: r.headers.get('set-cookie') };
}

/** `tenohira_session=…` of the admin's one session (signed in, second factor passed). */
export async function adminCookie(base) {
  if (state.cookie) return state.cookie;
  const { body, setCookie } = await post(base, 'mutation($i: LoginInput!) { login(input: $i) { stage } }', { i: ADMIN });
  const cookie = setCookie.split(';')[0];
  if (body.data.login.stage === 'TOTP_ENROLMENT_REQUIRED') {
    const begun = await post(base, 'mutation { beginTotpEnrolment { secret } }', {}, cookie);
    state.secret = begun.body.data.beginTotpEnrolment.secret;
    await post(base, 'mutation($c: String!) { confirmTotpEnrolment(code: $c) { stage } }', { c: await nextCode() }, cookie);
  } else {
    await post(base, 'mutation($c: String!) { verifyTotp(code: $c) { stage } }', { c: await nextCode() }, cookie);
  }
  state.cookie = cookie;
  return cookie;
}

/** A browser context already signed in as the admin, on the console's dashboard. */
export async function adminContext(browser, base, options = {}) {
  const [name, value] = (await adminCookie(base)).split('=');
  const context = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', ...options });
  await context.addCookies([{ name, value, url: base, httpOnly: true, secure: true, sameSite: 'Strict' }]);
  const page = await context.newPage();
  await page.goto(`${base}/console/`);
  await page.getByRole('heading', { name: 'ダッシュボード' }).waitFor();
  return { context, page };
}
