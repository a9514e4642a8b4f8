// The survey page's rules: which questions show given the answers so far
// (the server applies the same and refuses answers to hidden ones), what
// is sent (only shown questions, empty ones left out), and each
// resident's own order of shuffled choices.

export type SurveyQuestion = {
  key: string;
  kind: string;
  choices: { key: string; label: string }[];
  scale?: number | null;
  shuffle: boolean;
  showIf?: { question: string; anyOf: string[] } | null;
};
export type SurveySection = { key: string; questions: SurveyQuestion[]; jumps: { question: string; anyOf: string[]; to: string }[] };
export type Answers = Record<string, string[]>;

const holds = (a: Answers, question: string, anyOf: string[]) => (a[question] ?? []).some((v) => anyOf.includes(v));

export function visible<Q extends SurveyQuestion>(sections: (SurveySection & { questions: Q[] })[], answers: Answers): Q[] {
  const out: Q[] = [];
  const shown = new Set<string>();
  let i = 0;
  while (i < sections.length) {
    const section = sections[i];
    if (!section) break;
    for (const q of section.questions) {
      if (!q.showIf || (shown.has(q.showIf.question) && holds(answers, q.showIf.question, q.showIf.anyOf))) {
        shown.add(q.key);
        out.push(q);
      }
    }
    const jump = section.jumps.find((j) => shown.has(j.question) && holds(answers, j.question, j.anyOf));
    if (jump?.to === 'end') break;
    const next = jump ? sections.findIndex((s) => s.key === jump.to) : -1;
    i = next > i ? next : i + 1;
  }
  return out;
}

/** The answers to send: shown questions only, empty ones left out. */
export type Sent = { question: string; value?: string; values?: string[] };

export function toSend(shown: SurveyQuestion[], answers: Answers): Sent[] {
  return shown.flatMap((q): Sent[] => {
    if (q.kind === 'DESCRIPTION') return [];
    const vs = (answers[q.key] ?? []).filter((v) => v.trim() !== '');
    const first = vs[0];
    if (first === undefined) return [];
    return q.kind === 'MULTIPLE' ? [{ question: q.key, values: vs }] : [{ question: q.key, value: first }];
  });
}

/** A stable shuffle per resident and question (so a re-render does not reorder). */
export function shuffled<T>(items: T[], seed: string): T[] {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    const j = h % (i + 1);
    const a = out[i];
    const b = out[j];
    if (a !== undefined && b !== undefined) {
      out[i] = b;
      out[j] = a;
    }
  }
  return out;
}
