import { describe, expect, it } from 'vitest';
import { blankForm, blankQuestion, freshKey, visible, type Form } from './model';

function form(): Form {
  const f = blankForm();
  const attend = { ...blankQuestion(f, 'SINGLE'), key: 'attend', choices: [{ key: 'yes', label: '参加' }, { key: 'no', label: '不参加' }] };
  const why = { ...blankQuestion(f, 'LONG_TEXT'), key: 'why', showIf: { question: 'attend', anyOf: ['no'] } };
  const people = { ...blankQuestion(f, 'SHORT_TEXT'), key: 'people' };
  f.sections = [
    { key: 's1', title: '', description: '', questions: [attend, why], jumps: [{ question: 'attend', anyOf: ['no'], to: 'end' }] },
    { key: 's2', title: '', description: '', questions: [people], jumps: [] },
  ];
  return f;
}

describe('the preview shows what the server would', () => {
  it('shows a question when its condition holds and ends at a jump', () => {
    expect(visible(form(), { attend: ['no'] }).map((q) => q.key)).toEqual(['attend', 'why']);
    expect(visible(form(), { attend: ['yes'] }).map((q) => q.key)).toEqual(['attend', 'people']);
    expect(visible(form(), {}).map((q) => q.key)).toEqual(['attend', 'people']);
  });
  it('finds a fresh key', () => {
    expect(freshKey('q', ['q1', 'q2'])).toBe('q3');
  });
});
