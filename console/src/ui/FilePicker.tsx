import type { ReactNode } from 'react';

/**
 * A file choice that looks like a button and is reached with Tab like one:
 * the input is hidden from sight only (not `hidden`, which takes it out of
 * the tab order), and the label shows the focus ring while it has focus.
 */
export function FilePicker({ children, accept, disabled, onFile }: { children: ReactNode; accept: string; disabled?: boolean; onFile: (file: File) => void }) {
  return (
    <label className={`button file-picker${disabled ? ' disabled' : ''}`}>
      {children}
      <input
        type="file"
        accept={accept}
        className="visually-hidden"
        disabled={disabled}
        onChange={(e) => {
          const f = e.target.files?.[0];
          // Cleared so the same file can be chosen again after a removal.
          e.target.value = '';
          if (f) onFile(f);
        }}
      />
    </label>
  );
}
