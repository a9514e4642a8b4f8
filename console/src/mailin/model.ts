// The rule editor's working copy and the GraphQL input it saves as.
import type { MailPageQuery, MailRuleInput } from '../gql/graphql';

export type Rule = MailPageQuery['mailRules'][number];
export type Condition = Rule['conditions'][number];
export type Rewrite = Rule['rewrites'][number];

/** Keywords as staff type them: one per line or separated by 、 or commas. */
export function splitWords(text: string): string[] {
  return text
    .split(/[\n,、，]/)
    .map((w) => w.trim())
    .filter((w) => w !== '');
}

export function blankCondition(): Condition {
  return { field: 'SUBJECT', kind: 'KEYWORDS', words: [], mode: 'ANY', pattern: '' };
}

/** A new rule: 避難情報 mails reach the municipalities they name, nothing else. */
export function blankRule(): Rule {
  return {
    id: 0,
    name: '',
    enabled: true,
    position: 0,
    matchMode: 'ALL',
    conditions: [blankCondition()],
    rewrites: [{ kind: 'STRIP_SIGNATURE', text: '', end: '' }],
    extractMunicipalities: true,
    fallback: 'SKIP',
    baseSegmentId: null,
    combine: 'AND',
    receiveNodeId: null,
    template: '【{市町村}】{件名}\n{本文}',
    mode: 'SEND',
    disasterMode: false,
    updatedAt: '',
  };
}

export function toInput(r: Rule): MailRuleInput {
  return {
    name: r.name,
    enabled: r.enabled,
    position: r.position,
    matchMode: r.matchMode,
    conditions: r.conditions.map((c) =>
      c.kind === 'KEYWORDS'
        ? { field: c.field, kind: c.kind, words: c.words, mode: c.mode }
        : { field: c.field, kind: c.kind, pattern: c.pattern },
    ),
    rewrites: r.rewrites.map((w) => ({ kind: w.kind, text: w.text, end: w.end })),
    extractMunicipalities: r.extractMunicipalities,
    fallback: r.fallback,
    baseSegmentId: r.baseSegmentId ?? null,
    combine: r.combine,
    receiveNodeId: r.receiveNodeId ?? null,
    template: r.template,
    mode: r.mode,
    disasterMode: r.disasterMode,
  };
}
