import { describe, expect, it } from 'vitest';
import { safeNext } from './SignInPage';

describe('safeNext', () => {
  it('keeps console paths and refuses others', () => {
    expect(safeNext('/staff?x=1')).toBe('/staff?x=1');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});
