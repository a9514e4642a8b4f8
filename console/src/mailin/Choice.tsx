import { useId } from 'react';

type Option = { value: string; label: string };

/** A labelled select with its field error (the console's selects look alike). */
export function Choice({ label, value, options, onChange, error, testId }: { label: string; value: string; options: Option[]; onChange: (v: string) => void; error?: string | undefined; testId?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>{o.label}</option>
        ))}
      </select>
      {error && <p className="field-error" role="alert">{error}</p>}
    </div>
  );
}

/** Options from a catalogue group: `{ ALL: 'すべて' }` → value/label pairs. */
export function optionsOf(group: Record<string, string>): Option[] {
  return Object.entries(group).map(([value, label]) => ({ value, label }));
}
