import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

export type MenuItem = { label: string; onSelect: () => void; disabled?: boolean; danger?: boolean };

/**
 * A row's less frequent actions behind one 操作 button (a disclosure: the
 * button says whether it is open, the actions are ordinary buttons), so a
 * list of sixty options is sixty lines, not three hundred buttons. Escape or
 * a click elsewhere closes it; focus returns to the button.
 */
export function ActionMenu({ label, items }: { label: string; items: MenuItem[] }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    root.current?.querySelector<HTMLButtonElement>('.action-menu-items button:not(:disabled)')?.focus();
    const outside = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);

  const close = () => {
    setOpen(false);
    trigger.current?.focus();
  };

  return (
    <div
      className="action-menu"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          close();
        }
      }}
    >
      <button ref={trigger} type="button" className="small" aria-expanded={open} aria-label={label} onClick={() => setOpen(!open)}>
        {t('common.actions')} ▾
      </button>
      {open && (
        <ul className="action-menu-items">
          {items.map((item) => (
            <li key={item.label}>
              <button
                type="button"
                className={item.danger ? 'danger' : undefined}
                disabled={item.disabled}
                onClick={() => {
                  setOpen(false);
                  item.onSelect();
                }}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
