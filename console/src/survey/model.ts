// The builder's working copy of a survey's form, and the rules the phone
// preview applies (which questions show, given the answers so far) — the
// same rules the server applies when answers arrive.
import type { SurveyQuestionKind, SurveyTextFormat } from '../gql/graphql';

export type Choice = { key: string; label: string };
export type Condition = { question: string; anyOf: string[] };
export type Jump = { question: string; anyOf: string[]; to: string };
export type Question = {
  key: string;
  kind: SurveyQuestionKind;
  title: string;
  help: string;
  required: boolean;
  choices: Choice[];
  minPicks: number | null;
  maxPicks: number | null;
  format: SurveyTextFormat;
  min: number | null;
  max: number | null;
  scale: number | null;
  lowLabel: string;
  highLabel: string;
  shuffle: boolean;
  showIf: Condition | null;
};
export type Section = { key: string; title: string; description: string; questions: Question[]; jumps: Jump[] };
export type Form = { sections: Section[] };
export type Answers = Record<string, string[]>;

export const END = 'end';
export const CHOICE_KINDS: SurveyQuestionKind[] = ['SINGLE', 'MULTIPLE', 'DROPDOWN'];
/** Kinds a condition or a jump may look at. */
export const CLOSED_KINDS: SurveyQuestionKind[] = ['SINGLE', 'MULTIPLE', 'DROPDOWN', 'RATING', 'CONSENT'];

/** A key not used yet in `taken`: `q1`, `q2`… */
export function freshKey(prefix: string, taken: string[]): string {
  for (let i = 1; ; i++) {
    const k = `${prefix}${i}`;
    if (!taken.includes(k)) return k;
  }
}

export function allQuestions(form: Form): Question[] {
  return form.sections.flatMap((s) => s.questions);
}

export function blankQuestion(form: Form, kind: SurveyQuestionKind): Question {
  const key = freshKey('q', allQuestions(form).map((q) => q.key));
  const choices = CHOICE_KINDS.includes(kind) ? [{ key: 'c1', label: '選択肢1' }, { key: 'c2', label: '選択肢2' }] : [];
  return {
    key, kind, title: '', help: '', required: false, choices, minPicks: null, maxPicks: null,
    format: 'PLAIN', min: null, max: null, scale: kind === 'RATING' ? 5 : null, lowLabel: '', highLabel: '', shuffle: false, showIf: null,
  };
}

export function blankForm(): Form {
  return { sections: [{ key: 's1', title: '', description: '', questions: [], jumps: [] }] };
}

/** The values a closed question can take, with their labels. */
export function optionsOf(q: Question): Choice[] {
  if (q.kind === 'RATING') return Array.from({ length: q.scale ?? 5 }, (_, i) => ({ key: String(i + 1), label: String(i + 1) }));
  if (q.kind === 'CONSENT') return [{ key: 'true', label: '同意する' }];
  return q.choices;
}

const holds = (a: Answers, question: string, anyOf: string[]) => (a[question] ?? []).some((v) => anyOf.includes(v));

/** The questions shown, in order, given `answers`: conditions look back, jumps go forward. */
export function visible(form: Form, answers: Answers): Question[] {
  const out: Question[] = [];
  const shown = new Set<string>();
  let i = 0;
  while (i < form.sections.length) {
    const section = form.sections[i];
    if (!section) break;
    for (const q of section.questions) {
      if (!q.showIf || (shown.has(q.showIf.question) && holds(answers, q.showIf.question, q.showIf.anyOf))) {
        shown.add(q.key);
        out.push(q);
      }
    }
    const jump = section.jumps.find((j) => shown.has(j.question) && holds(answers, j.question, j.anyOf));
    if (jump?.to === END) break;
    const next = jump ? form.sections.findIndex((s) => s.key === jump.to) : -1;
    i = next > i ? next : i + 1;
  }
  return out;
}

/** The form as the API takes it (nulls where nothing is set). */
export function toInput(form: Form): Form {
  return { sections: form.sections.map((s) => ({ ...s, questions: s.questions.map((q) => ({ ...q })), jumps: s.jumps.map((j) => ({ ...j })) })) };
}
