import { useTranslation } from 'react-i18next';

export function Pagination({ offset, limit, total, onChange }: { offset: number; limit: number; total: number; onChange: (offset: number) => void }) {
  const { t } = useTranslation();
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  return (
    <nav className="pagination" aria-label="ページ送り">
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        {t('common.previous')}
      </button>
      <span>{t('common.page', { from, to, total })}</span>
      <button type="button" disabled={to >= total} onClick={() => onChange(offset + limit)}>
        {t('common.next')}
      </button>
    </nav>
  );
}
