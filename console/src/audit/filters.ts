import { jstDayStart } from '../ui/format';

export type AuditFilterForm = { actor: string; action: string; targetKind: string; targetId: string; from: string; to: string };

export const EMPTY_FILTER: AuditFilterForm = { actor: '', action: '', targetKind: '', targetId: '', from: '', to: '' };

/** The API filter for a form: empty fields drop out; dates are whole JST days (to inclusive). */
export function toApiFilter(f: AuditFilterForm) {
  const nextDay = (d: string) => {
    const date = new Date(`${d}T00:00:00+09:00`);
    date.setUTCDate(date.getUTCDate() + 1);
    return date.toISOString();
  };
  return {
    actor: f.actor.trim() || null,
    action: f.action.trim() || null,
    targetKind: f.targetKind.trim() || null,
    targetId: f.targetId.trim() || null,
    from: f.from ? jstDayStart(f.from) : null,
    to: f.to ? nextDay(f.to) : null,
  };
}

/** Query string for the CSV export with the same filter. */
export function csvUrl(f: AuditFilterForm): string {
  const api = toApiFilter(f);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(api)) if (v) params.set(k, v);
  return `/exports/audit-log.csv?${params.toString()}`;
}
