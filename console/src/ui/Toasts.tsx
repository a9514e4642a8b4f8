import { type ReactNode, useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { SUCCESS_MS, ToastContext, type Toast, type ToastKind, withToast } from './toast';

/** Holds the console's toasts and draws them in the bottom corner. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const close = useCallback((id: number) => setToasts((current) => current.filter((x) => x.id !== id)), []);
  const push = useCallback(
    (kind: ToastKind, text: string) => {
      const id = next.current++;
      setToasts((current) => withToast(current, { id, kind, text }));
      if (kind === 'success') window.setTimeout(() => close(id), SUCCESS_MS);
    },
    [close],
  );
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts" aria-live="polite" data-testid="toasts">
        {toasts.map((toast) => (
          <div key={toast.id} className={`toast toast-${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'}>
            <span id={`toast-${toast.id}`}>{toast.text}</span>
            {/* Named apart from its message, so a field's label never matches a toast's button. */}
            <button type="button" className="small" aria-label={t('common.closeNotice')} aria-describedby={`toast-${toast.id}`} onClick={() => close(toast.id)}>
              {t('common.close')}
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
