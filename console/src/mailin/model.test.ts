import { describe, expect, it } from 'vitest';
import { blankRule, splitWords, toInput } from './model';

describe('mail rule model', () => {
  it('splits keywords on lines, 、 and commas', () => {
    expect(splitWords('避難指示、高齢者等避難\n 土砂災害 ,,')).toEqual(['避難指示', '高齢者等避難', '土砂災害']);
  });
  it('sends only the fields of each condition kind', () => {
    const r = blankRule();
    r.conditions = [
      { field: 'SUBJECT', kind: 'KEYWORDS', words: ['避難指示'], mode: 'ANY', pattern: 'ignored' },
      { field: 'BODY', kind: 'REGEX', words: ['ignored'], mode: 'ALL', pattern: '(芝|安行)地区' },
    ];
    const input = toInput(r);
    expect(input.conditions[0]).toEqual({ field: 'SUBJECT', kind: 'KEYWORDS', words: ['避難指示'], mode: 'ANY' });
    expect(input.conditions[1]).toEqual({ field: 'BODY', kind: 'REGEX', pattern: '(芝|安行)地区' });
  });
});
