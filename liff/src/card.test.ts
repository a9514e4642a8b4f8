import { describe, expect, it } from 'vitest';
import { draftFrom, emptyDraft, japaneseDate, jstClock, missingFields, toInput } from './card';

describe('card form', () => {
  it('sends the chosen relation, or the one typed under その他', () => {
    const d = { ...emptyDraft(), holderName: '埼玉 花子', relation: '母', children: [{ name: '一郎', birthDate: '2020-05-05' }] };
    expect(toInput(d).relation).toBe('母');
    expect(toInput({ ...d, relation: 'その他', relationOther: '叔母' }).relation).toBe('叔母');
  });

  it('drops empty extra child rows but keeps an empty first one for the server to name', () => {
    const d = { ...emptyDraft(), children: [{ name: '', birthDate: '' }, { name: '', birthDate: '' }] };
    expect(toInput(d).children).toHaveLength(1);
    const pregnant = { ...d, pregnant: true, expectedDate: '2027-03-01' };
    expect(toInput(pregnant).children).toHaveLength(0);
    expect(toInput(pregnant).expectedDate).toBe('2027-03-01');
  });

  it('round-trips a registered card into the form', () => {
    const d = draftFrom({ holderName: '川越 次郎', relation: '叔父', children: [{ name: '花', birthDate: '2019-07-07' }], expectedDate: null, grandparent: true });
    expect(d.relation).toBe('その他');
    expect(d.relationOther).toBe('叔父');
    expect(toInput(d).relation).toBe('叔父');
    expect(d.grandparent).toBe(true);
  });

  it('asks for the relation and missing dates before sending', () => {
    const d = { ...emptyDraft(), holderName: 'a', children: [{ name: '一郎', birthDate: '' }], pregnant: true };
    expect(missingFields(d).map((e) => e.field)).toEqual(['relation', 'children[0].birthDate', 'expectedDate']);
    expect(missingFields({ ...d, relation: '父' }).map((e) => e.field)).toEqual(['children[0].birthDate', 'expectedDate']);
  });

  it('does not preselect the relation of a new registration', () => {
    expect(emptyDraft().relation).toBe('');
    expect(draftFrom({ holderName: null, relation: null, children: [], grandparent: false }).relation).toBe('');
  });

  it('writes dates the Japanese way and the clock in JST', () => {
    expect(japaneseDate('2037-03-31')).toBe('2037年3月31日');
    expect(jstClock(new Date('2026-03-31T15:00:05Z'))).toContain('2026年4月1日');
  });
});
