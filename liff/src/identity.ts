// Who the resident is: an ID token from the LIFF SDK in LINE, or from the
// sandbox login of line-fake in an ordinary browser. The server verifies it;
// this page never sends a user id of its own.
import liff from '@line/liff';

type Config = { liffId: string; sandboxLogin: string | null };
const KEY = 'tenohira.idToken';

async function config(): Promise<Config> {
  const r = await fetch('/liff/config.json');
  return r.json();
}

/** Takes `#id_token=` from a sandbox login redirect, if present. */
export function tokenFromHash(hash: string): string | null {
  const m = /(?:^#|&)id_token=([^&]+)/.exec(hash);
  return m ? decodeURIComponent(m[1]!) : null;
}

export async function idToken(): Promise<string> {
  const fromHash = tokenFromHash(window.location.hash);
  if (fromHash) {
    sessionStorage.setItem(KEY, fromHash);
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return fromHash;
  }
  const cfg = await config();
  if (cfg.sandboxLogin) {
    const stored = sessionStorage.getItem(KEY);
    if (stored) return stored;
    window.location.assign(`${cfg.sandboxLogin}?redirect_uri=${encodeURIComponent(window.location.href)}`);
    return new Promise(() => undefined);
  }
  await liff.init({ liffId: cfg.liffId });
  if (!liff.isLoggedIn()) {
    liff.login();
    return new Promise(() => undefined);
  }
  const token = liff.getIDToken();
  if (!token) throw new Error('no ID token');
  return token;
}

/** Forgets a token the server refused (expired): the next call logs in again. */
export function forgetToken() {
  sessionStorage.removeItem(KEY);
}
