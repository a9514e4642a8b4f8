// Dates are shown in JST whatever the browser's time zone.
const dateTime = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return dateTime.format(new Date(iso));
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** A JST calendar date (yyyy-mm-dd) as the start of that day in UTC ISO form. */
export function jstDayStart(date: string): string {
  return new Date(`${date}T00:00:00+09:00`).toISOString();
}

/** A moment's JST calendar day as YYYY-MM-DD (the API's NaiveDate). */
export function jstIsoDay(d: Date): string {
  return new Date(d.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

/** A `datetime-local` value read as JST (whatever the browser's zone), in ISO form. */
export function jstLocalToIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const withSeconds = value.length === 16 ? `${value}:00` : value;
  return new Date(`${withSeconds}+09:00`).toISOString();
}

/** An ISO time as a `datetime-local` value in JST. */
export function isoToJstLocal(iso: string): string {
  const jst = new Date(new Date(iso).getTime() + 9 * 3600 * 1000);
  return jst.toISOString().slice(0, 16);
}
