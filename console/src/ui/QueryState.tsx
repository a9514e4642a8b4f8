// One rule for every page: while data a page needs is loading it says so,
// and when a query failed (FORBIDDEN, the network, the server) it says why
// in Japanese. Never an endless 読み込み中….
import type { ReactNode } from 'react';
import { errorMessage, type T } from '../api/errors';
import { Alert } from './Alert';

/** What `useQuery` reports that matters here. */
export type QueryLike = { isPending: boolean; fetchStatus: 'fetching' | 'paused' | 'idle'; error: unknown };

/**
 * What to show instead of the page, or null once every query it needs has
 * its data. A query switched off (`enabled: false`) is not waited for.
 */
export function waiting(t: T, ...queries: QueryLike[]): ReactNode | null {
  const failed = queries.find((q) => q.error);
  if (failed) return <Alert kind="error">{errorMessage(failed.error, t)}</Alert>;
  if (queries.some((q) => q.isPending && q.fetchStatus !== 'idle')) return <p role="status">{t('common.loading')}</p>;
  return null;
}
