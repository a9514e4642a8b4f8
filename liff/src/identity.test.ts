import { describe, expect, it } from 'vitest';
import { tokenSource } from './identity';

const production = { liffId: '1650000000-abcdefgh', sandboxLogin: null };
const sandbox = { liffId: '', sandboxLogin: 'http://127.0.0.1:8090/_fake/login' };
const attacker = '#id_token=eyJhbGciOiJFUzI1NiJ9.attacker.sig';

describe('who the resident is', () => {
  it('in production ignores a token in the link and asks the LIFF SDK', () => {
    expect(tokenSource(production, attacker, null, 'https://x/liff/card/edit')).toEqual({ kind: 'liff', liffId: production.liffId });
    expect(tokenSource(production, '', 'stored-token', 'https://x/liff/')).toEqual({ kind: 'liff', liffId: production.liffId });
  });

  it('in the sandbox takes the login redirect, then the stored token, then logs in', () => {
    expect(tokenSource(sandbox, attacker, 'old', 'http://x/liff/')).toEqual({ kind: 'fragment', token: 'eyJhbGciOiJFUzI1NiJ9.attacker.sig' });
    expect(tokenSource(sandbox, '', 'old', 'http://x/liff/')).toEqual({ kind: 'stored', token: 'old' });
    expect(tokenSource(sandbox, '', null, 'http://x/liff/card')).toEqual({
      kind: 'sandbox-login',
      url: 'http://127.0.0.1:8090/_fake/login?redirect_uri=http%3A%2F%2Fx%2Fliff%2Fcard',
    });
  });
});
