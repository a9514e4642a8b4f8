import { describe, expect, it } from 'vitest';
import i18n from '../catalogue';
import { ApiError, errorMessage, fieldErrorMap, fromGraphQLErrors } from './errors';

const t = i18n.t.bind(i18n) as (k: string, o?: Record<string, unknown>) => string;

describe('API errors', () => {
  it('reads code, field errors and error id', () => {
    const e = fromGraphQLErrors([
      { message: 'input.loginId: x', extensions: { code: 'BAD_USER_INPUT', fieldErrors: [{ field: 'input.loginId', message: 'ログインIDは3〜64文字で入力してください' }] } },
    ]);
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(fieldErrorMap(e)).toEqual({ loginId: 'ログインIDは3〜64文字で入力してください' });
    expect(errorMessage(e, t)).toBe('ログインIDは3〜64文字で入力してください');
  });

  it('maps codes to Japanese and never shows internals', () => {
    expect(errorMessage(new ApiError('INTERNAL', 'internal error', [], 'abc'), t)).toContain('abc');
    expect(errorMessage(new ApiError('INTERNAL', 'internal error', [], 'abc'), t)).not.toContain('internal error');
    expect(errorMessage(new ApiError('FORBIDDEN', 'forbidden'), t)).toBe('この操作を行う権限がありません。');
    expect(errorMessage(new ApiError('FORBIDDEN', '権限がありません（staff.manage）'), t)).toBe('権限がありません（staff.manage）');
    expect(errorMessage(new TypeError('Failed to fetch'), t)).toBe('サーバーに接続できません。ネットワークを確認してください。');
    expect(errorMessage(new ApiError('WHATEVER', 'x'), t)).toBe('処理できませんでした。');
  });
});
