import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

type Props = InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  error?: string | undefined;
  help?: ReactNode;
};

/** A labelled input with its help text and field error wired for screen readers. */
export function Field({ label, error, help, id, required, ...input }: Props) {
  const auto = useId();
  const inputId = id ?? auto;
  const helpId = `${inputId}-help`;
  const errorId = `${inputId}-error`;
  const describedBy = [help ? helpId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={inputId}>
        {label}
        {required && <span className="required" aria-hidden="true">＊</span>}
      </label>
      <input id={inputId} aria-invalid={error ? true : undefined} aria-describedby={describedBy} required={required} {...input} />
      {help && (
        <p id={helpId} className="help">
          {help}
        </p>
      )}
      {error && (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
