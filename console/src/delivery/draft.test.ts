import { describe, expect, it } from 'vitest';
import { deliveryInput, fromStored, utf16Length } from './draft';
import { isoToJstLocal, jstLocalToIso } from '../ui/format';
import { emptyGroup } from '../audience/expression';

describe('delivery draft', () => {
  it('counts text as LINE does (UTF-16 units)', () => {
    expect(utf16Length('あいう')).toBe(3);
    expect(utf16Length('😀')).toBe(2);
    expect(utf16Length('👨‍👩‍👧')).toBe(8);
  });

  it('builds the API input for each kind of target', () => {
    const messages = [
      { kind: 'text' as const, text: 'お知らせ' },
      { kind: 'image' as const, mediaId: 'm-1', fileName: 'map.png' },
      { kind: 'video' as const, mediaId: 'v-1', previewMediaId: 'p-1', fileName: 'drill.mp4' },
    ];
    expect(deliveryInput({ title: 't', messages, target: { kind: 'all' } })).toEqual({
      title: 't',
      messages: [{ text: 'お知らせ' }, { image: 'm-1' }, { video: { mediaId: 'v-1', previewMediaId: 'p-1' } }],
      target: { all: true },
    });
    expect(deliveryInput({ title: 't', messages: [], target: { kind: 'segment', segmentId: 4 } }).target).toEqual({ segmentId: 4 });
    expect(deliveryInput({ title: 't', messages: [], target: { kind: 'expression', root: emptyGroup() } }).target).toEqual({ expression: { registered: true } });
  });

  it('reads saved messages back', () => {
    expect(fromStored({ type: 'video', mediaId: 'v', previewMediaId: 'p' })).toEqual({ kind: 'video', mediaId: 'v', previewMediaId: 'p', fileName: '' });
    expect(fromStored({ type: 'text', text: 'a' })).toEqual({ kind: 'text', text: 'a' });
  });

  it('reads schedule times as JST whatever the browser zone', () => {
    expect(jstLocalToIso('2026-12-01T09:30')).toBe('2026-12-01T00:30:00.000Z');
    expect(jstLocalToIso('2026-12-01T09:30:15')).toBe('2026-12-01T00:30:15.000Z');
    expect(jstLocalToIso('2026-12-01')).toBeNull();
    expect(isoToJstLocal('2026-12-01T00:30:00.000Z')).toBe('2026-12-01T09:30');
  });
});
