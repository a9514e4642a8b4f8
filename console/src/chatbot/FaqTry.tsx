import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { graphql } from '../gql';
import { keys } from '../api/keys';
import { waiting } from '../ui/QueryState';
import { formatPercent } from '../ui/format';

const FaqSearchQuery = graphql(`
  query FaqTry($text: String!) { faqSearch(text: $text, limit: 5) { entry { id question answer } confidence } }
`);

/** 回答のテスト: what the bot would find for a resident's words. */
export function FaqTry() {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [asked, setAsked] = useState('');
  const found = useQuery({ queryKey: keys.faqSearch(asked), queryFn: () => request(FaqSearchQuery, { text: asked }), enabled: asked !== '' });
  return (
    <section className="faq-try" aria-labelledby="faq-try-title">
      <h2 id="faq-try-title">{t('faq.tryTitle')}</h2>
      <p className="help">{t('faq.tryHelp')}</p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(text.trim());
        }}
      >
        <label>
          {t('faq.tryInput')} <input value={text} maxLength={1000} onChange={(e) => setText(e.target.value)} />
        </label>{' '}
        <button type="submit">{t('faq.try')}</button>
      </form>
      {asked !== '' &&
        (waiting(t, found) ??
          (found.data && found.data.faqSearch.length === 0 ? (
            <p>{t('faq.noMatch')}</p>
          ) : (
            <ol data-testid="faq-try-results">
              {found.data?.faqSearch.map((m) => (
                <li key={m.entry.id}>
                  <strong>{m.entry.question}</strong>{' '}
                  <span className="help">
                    {t('faq.match')} {formatPercent(m.confidence)}
                  </span>
                </li>
              ))}
            </ol>
          )))}
    </section>
  );
}
