// Who the resident is: an ID token from the LIFF SDK in LINE, or from the
// sandbox login of line-fake in an ordinary browser. The server verifies it;
// this page never sends a user id of its own.
import liff from '@line/liff';

export type Config = { liffId: string; sandboxLogin: string | null };
const KEY = 'tenohira.idToken';
// Set once the LIFF SDK is initialised: only then can the page close itself.
let liffReady = false;

async function config(): Promise<Config> {
  const r = await fetch('/liff/config.json');
  return r.json();
}

/** Takes `#id_token=` from a sandbox login redirect, if present. */
export function tokenFromHash(hash: string): string | null {
  const m = /(?:^#|&)id_token=([^&]+)/.exec(hash);
  return m ? decodeURIComponent(m[1]!) : null;
}

export type TokenSource =
  | { kind: 'fragment'; token: string }
  | { kind: 'stored'; token: string }
  | { kind: 'sandbox-login'; url: string }
  | { kind: 'liff'; liffId: string };

/**
 * Where this page's ID token comes from. Only the sandbox (an ordinary
 * browser with line-fake's login) takes a token from the URL: in production a
 * link carrying someone else's token would make this page act as that
 * person, and a resident would register their family into an attacker's
 * account. There the LIFF SDK alone says who the resident is.
 */
export function tokenSource(cfg: Config, hash: string, stored: string | null, href: string): TokenSource {
  if (!cfg.sandboxLogin) return { kind: 'liff', liffId: cfg.liffId };
  const fromHash = tokenFromHash(hash);
  if (fromHash) return { kind: 'fragment', token: fromHash };
  if (stored) return { kind: 'stored', token: stored };
  return { kind: 'sandbox-login', url: `${cfg.sandboxLogin}?redirect_uri=${encodeURIComponent(href)}` };
}

export async function idToken(): Promise<string> {
  const cfg = await config();
  const source = tokenSource(cfg, window.location.hash, sessionStorage.getItem(KEY), window.location.href);
  switch (source.kind) {
    case 'fragment':
      sessionStorage.setItem(KEY, source.token);
      history.replaceState(null, '', window.location.pathname + window.location.search);
      return source.token;
    case 'stored':
      return source.token;
    case 'sandbox-login':
      window.location.assign(source.url);
      return new Promise(() => undefined);
    case 'liff': {
      await liff.init({ liffId: source.liffId });
      liffReady = true;
      if (!liff.isLoggedIn()) {
        liff.login();
        return new Promise(() => undefined);
      }
      const token = liff.getIDToken();
      if (!token) throw new Error('no ID token');
      return token;
    }
  }
}

/** Forgets a token the server refused (expired): the next call logs in again. */
export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

export type CloseWay = 'liff' | 'window';

/** How 閉じる returns to the chat: LINE's own call inside the LINE app, else the browser's. */
export function closeWay(liffInitialised: boolean, inClient: boolean): CloseWay {
  return liffInitialised && inClient ? 'liff' : 'window';
}

/**
 * Closes the page. Inside LINE this returns to the chat; an ordinary browser
 * (the sandbox) closes only windows a script opened, so the caller says
 * what to do when the page is still there.
 */
export function closePage(): void {
  if (closeWay(liffReady, liffReady && liff.isInClient()) === 'liff') liff.closeWindow();
  else window.close();
}
