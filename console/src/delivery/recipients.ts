// The 配信数 of a row in a list: before a delivery starts nobody has been
// sent anything, so "0" would read as a failure; it shows whom it would
// reach now, marked as expected. After the start, the fixed recipients.
import type { T } from '../api/errors';

type Row = { status: string; recipients: number; expectedRecipients: number };

export function recipientsCell(d: Row, t: T): string {
  const n = (x: number) => x.toLocaleString('ja-JP');
  if (d.status === 'DRAFT' || d.status === 'SCHEDULED') return t('delivery.expectedCell', { count: n(d.expectedRecipients) });
  if (d.status === 'CANCELLED') return '—';
  return n(d.recipients);
}
