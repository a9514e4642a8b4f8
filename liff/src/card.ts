// The card form as the page holds it, and what it sends: kept apart from
// the page so the conversion and the small rules are unit-tested.
import type { CardInput } from './gql/graphql';

export type ChildDraft = { name: string; birthDate: string };
export type CardDraft = {
  holderName: string;
  relation: string;
  relationOther: string;
  children: ChildDraft[];
  pregnant: boolean;
  expectedDate: string;
  grandparent: boolean;
};

export const MAX_CHILDREN = 5;
export const RELATIONS = ['母', '父', '祖母', '祖父'] as const;

export function emptyDraft(): CardDraft {
  // 続柄 is not guessed: a father would otherwise register as 母 by leaving it.
  return { holderName: '', relation: '', relationOther: '', children: [{ name: '', birthDate: '' }], pregnant: false, expectedDate: '', grandparent: false };
}

/** The registered card, back into the form. */
export function draftFrom(card: {
  holderName?: string | null;
  relation?: string | null;
  children: { name: string; birthDate: string }[];
  expectedDate?: string | null;
  grandparent: boolean;
}): CardDraft {
  const relation = card.relation ?? '';
  const known = relation === '' || (RELATIONS as readonly string[]).includes(relation);
  return {
    holderName: card.holderName ?? '',
    relation: known ? relation : 'その他',
    relationOther: known ? '' : relation,
    children: card.children.length > 0 ? card.children.map((c) => ({ name: c.name, birthDate: c.birthDate })) : [{ name: '', birthDate: '' }],
    pregnant: !!card.expectedDate,
    expectedDate: card.expectedDate ?? '',
    grandparent: card.grandparent,
  };
}

/** What the server gets: empty trailing child rows are dropped; the server checks everything. */
export function toInput(d: CardDraft): CardInput {
  const children = d.children.filter((c, i) => i === 0 ? c.name.trim() !== '' || c.birthDate !== '' || !d.pregnant : c.name.trim() !== '' || c.birthDate !== '');
  return {
    holderName: d.holderName,
    relation: d.relation === 'その他' ? d.relationOther : d.relation,
    children: children.map((c) => ({ name: c.name, birthDate: c.birthDate })),
    expectedDate: d.pregnant && d.expectedDate ? d.expectedDate : null,
    grandparent: d.grandparent,
  };
}

/**
 * What the page asks for before sending: the relation not yet chosen and
 * dates the server cannot even parse. Everything else is the server's to check.
 */
export function missingFields(d: CardDraft): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  if (d.relation === '') out.push({ field: 'relation', message: '続柄を選択してください' });
  toInput(d).children.forEach((c, i) => {
    if (!c.birthDate) out.push({ field: `children[${i}].birthDate`, message: `第${i + 1}子の生年月日を入力してください` });
  });
  if (d.pregnant && !d.expectedDate) out.push({ field: 'expectedDate', message: '出産予定日を入力してください' });
  return out;
}

/** `YYYY-MM-DD` → `YYYY年M月D日`. */
export function japaneseDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日` : iso;
}

/** The time in Japan, to the second, whatever the phone's zone. */
export function jstClock(now: Date): string {
  return new Intl.DateTimeFormat('ja-JP', { timeZone: 'Asia/Tokyo', year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(now);
}
