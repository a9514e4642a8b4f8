import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { graphql } from '../gql';
import { keys } from '../api/keys';
import { Pagination } from '../ui/Pagination';
import { waiting } from '../ui/QueryState';
import { useAction } from '../ui/useAction';
import { FaqEditor } from './FaqEditor';
import { FaqTransfer } from './FaqTransfer';
import { FaqTry } from './FaqTry';

const PAGE = 20;

const FaqEntriesQuery = graphql(`
  query FaqEntries($search: String, $offset: Int!, $limit: Int!) {
    faqEntries(search: $search, offset: $offset, limit: $limit) {
      totalCount
      items { id question variants answer category keywords enabled }
    }
  }
`);
const DeleteFaq = graphql(`
  mutation DeleteFaqEntry($id: Int!) { deleteFaqEntry(id: $id) }
`);

export type Editing = { id: number | null; question: string; variants: string[]; answer: string; category: string; keywords: string[]; enabled: boolean };

const blank: Editing = { id: null, question: '', variants: [], answer: '', category: '', keywords: [], enabled: true };

/** FAQ entries: search, edit, delete, and a test of what the bot would answer. */
export function FaqPage() {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<Editing | null>(null);
  const list = useQuery({
    queryKey: keys.faqEntries(applied, offset),
    queryFn: () => request(FaqEntriesQuery, { search: applied || null, offset, limit: PAGE }),
  });
  const { run } = useAction([keys.faqEntriesAll]);
  const page = list.data?.faqEntries;
  return (
    <section>
      <h1>{t('faq.title')}</h1>
      <p className="help">{t('faq.help')}</p>
      <FaqTry />
      <FaqTransfer />
      {editing ? (
        <FaqEditor entry={editing} onDone={() => setEditing(null)} />
      ) : (
        <p>
          <button type="button" className="primary" onClick={() => setEditing(blank)}>
            {t('faq.new')}
          </button>
        </p>
      )}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setApplied(search.trim());
        }}
      >
        <label>
          {t('faq.search')} <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>{' '}
        <button type="submit">{t('common.search')}</button>
      </form>
      {waiting(t, list) ??
        (page && page.items.length === 0 ? (
          <p className="help">{t('faq.none')}</p>
        ) : (
          <table data-testid="faq-entries">
            <thead>
              <tr>
                <th scope="col">{t('faq.question')}</th>
                <th scope="col">{t('faq.category')}</th>
                <th scope="col">{t('faq.published')}</th>
                <th scope="col">{t('faq.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {page?.items.map((e) => (
                <tr key={e.id}>
                  <td>{e.question}</td>
                  <td>{e.category}</td>
                  <td>{e.enabled ? t('faq.published') : t('faq.unpublished')}</td>
                  <td>
                    <button type="button" aria-label={t('faq.editOf', { question: e.question })} onClick={() => setEditing({ ...e })}>
                      {t('common.edit')}
                    </button>{' '}
                    <button
                      type="button"
                      aria-label={t('faq.deleteOf', { question: e.question })}
                      onClick={() => window.confirm(t('faq.confirmDelete', { question: e.question })) && void run(() => request(DeleteFaq, { id: e.id }), t('faq.deleted'))}
                    >
                      {t('common.delete')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {page && page.totalCount > PAGE && <Pagination offset={offset} limit={PAGE} total={page.totalCount} onChange={setOffset} />}
      <p className="help">{t('faq.credit')}</p>
    </section>
  );
}
