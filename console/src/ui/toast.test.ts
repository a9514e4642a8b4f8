import { describe, expect, it } from 'vitest';
import { MAX_TOASTS, withToast } from './toast';

describe('toasts', () => {
  it('keep the newest few, and a repeated text once, at the end', () => {
    let list = withToast([], { id: 1, kind: 'success', text: '保存しました' });
    list = withToast(list, { id: 2, kind: 'error', text: '権限がありません' });
    list = withToast(list, { id: 3, kind: 'success', text: '保存しました' });
    expect(list.map((t) => t.id)).toEqual([2, 3]);
    for (let id = 4; id < 10; id++) list = withToast(list, { id, kind: 'success', text: `t${id}` });
    expect(list).toHaveLength(MAX_TOASTS);
    expect(list.at(-1)?.id).toBe(9);
  });
});
