import { describe, expect, it } from 'vitest';
import { shuffled, toSend, visible, type SurveySection } from './survey';

const q = (key: string, kind: string, extra: object = {}) => ({ key, kind, choices: [], shuffle: false, ...extra });
const sections: SurveySection[] = [
  { key: 's1', questions: [q('attend', 'SINGLE'), q('why', 'LONG_TEXT', { showIf: { question: 'attend', anyOf: ['no'] } })], jumps: [{ question: 'attend', anyOf: ['no'], to: 'end' }] },
  { key: 's2', questions: [q('topics', 'MULTIPLE'), q('note', 'DESCRIPTION')], jumps: [] },
];

describe('the survey page', () => {
  it('shows and sends only what the conditions allow', () => {
    const answers = { attend: ['yes'], why: ['遠い'], topics: ['a', 'b'] };
    const shown = visible(sections, answers);
    expect(shown.map((x) => x.key)).toEqual(['attend', 'topics', 'note']);
    expect(toSend(shown, answers)).toEqual([{ question: 'attend', value: 'yes' }, { question: 'topics', values: ['a', 'b'] }]);
    expect(visible(sections, { attend: ['no'] }).map((x) => x.key)).toEqual(['attend', 'why']);
  });
  it('shuffles the same way for the same resident', () => {
    const items = [1, 2, 3, 4, 5, 6];
    expect(shuffled(items, 'U1:q')).toEqual(shuffled(items, 'U1:q'));
    expect([...shuffled(items, 'U1:q')].sort()).toEqual(items);
  });
});
