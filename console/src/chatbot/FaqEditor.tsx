import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { graphql } from '../gql';
import { keys } from '../api/keys';
import { Field } from '../ui/Field';
import { useAction } from '../ui/useAction';
import type { Editing } from './FaqPage';

const CreateFaq = graphql(`
  mutation CreateFaqEntry($input: FaqEntryInput!) { createFaqEntry(input: $input) { id } }
`);
const UpdateFaq = graphql(`
  mutation UpdateFaqEntry($id: Int!, $input: FaqEntryInput!) { updateFaqEntry(id: $id, input: $input) { id } }
`);

const lines = (s: string) => s.split('\n').map((x) => x.trim()).filter(Boolean);
const words = (s: string) => s.split(/[、,]/).map((x) => x.trim()).filter(Boolean);

/** One entry's form; errors beside their fields, as the API names them (input.answer …). */
export function FaqEditor({ entry, onDone }: { entry: Editing; onDone: () => void }) {
  const { t } = useTranslation();
  const [question, setQuestion] = useState(entry.question);
  const [variants, setVariants] = useState(entry.variants.join('\n'));
  const [answer, setAnswer] = useState(entry.answer);
  const [category, setCategory] = useState(entry.category);
  const [keywordText, setKeywordText] = useState(entry.keywords.join('、'));
  const [enabled, setEnabled] = useState(entry.enabled);
  const { run, fields, pending } = useAction([keys.faqEntriesAll]);
  // LINE counts UTF-16 units: an emoji is two.
  const answerLength = [...answer].reduce((n, c) => n + (c.codePointAt(0)! > 0xffff ? 2 : 1), 0);
  return (
    <form
      className="faq-editor"
      onSubmit={(e) => {
        e.preventDefault();
        const input = { question, variants: lines(variants), answer, category, keywords: words(keywordText), enabled };
        void run(async () => {
          if (entry.id === null) await request(CreateFaq, { input });
          else await request(UpdateFaq, { id: entry.id, input });
          onDone();
        }, entry.id === null ? t('faq.created') : t('faq.updated'));
      }}
    >
      <h2>{entry.id === null ? t('faq.new') : t('faq.edit')}</h2>
      <Field label={t('faq.question')} required value={question} onChange={(e) => setQuestion(e.target.value)} error={fields['input.question']} />
      <div className="field">
        <label htmlFor="faq-variants">{t('faq.variants')}</label>
        <textarea id="faq-variants" rows={3} value={variants} onChange={(e) => setVariants(e.target.value)} />
        {fields['input.variants'] && <p className="field-error">{fields['input.variants']}</p>}
      </div>
      <div className="field">
        <label htmlFor="faq-answer">
          {t('faq.answer')}
          <span className="required" aria-hidden="true">
            ＊
          </span>
        </label>
        <textarea id="faq-answer" rows={6} required value={answer} aria-invalid={fields['input.answer'] ? true : undefined} aria-describedby="faq-answer-count" onChange={(e) => setAnswer(e.target.value)} />
        <p id="faq-answer-count" className="help">
          {t('faq.answerCounter', { n: answerLength.toLocaleString('ja-JP') })}
        </p>
        {fields['input.answer'] && (
          <p className="field-error" role="alert">
            {fields['input.answer']}
          </p>
        )}
      </div>
      <Field label={t('faq.category')} value={category} onChange={(e) => setCategory(e.target.value)} error={fields['input.category']} />
      <Field label={t('faq.keywords')} value={keywordText} onChange={(e) => setKeywordText(e.target.value)} error={fields['input.keywords']} />
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        <span>{t('faq.enabled')}</span>
      </label>
      <p>
        <button type="submit" className="primary" disabled={pending}>
          {t('faq.save')}
        </button>{' '}
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </p>
    </form>
  );
}
