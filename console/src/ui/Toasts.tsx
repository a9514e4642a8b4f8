import { type ReactNode, useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ToastContext, type Toast, type ToastKind, withToast } from './toast';

/** Holds the console's toasts and draws them in the bottom corner. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const push = useCallback((kind: ToastKind, text: string) => {
    const id = next.current++;
    setToasts((current) => withToast(current, { id, kind, text }));
  }, []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts" aria-live="polite" data-testid="toasts">
        {toasts.map((toast) => (
          <div key={toast.id} className={`toast toast-${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'}>
            <span>{toast.text}</span>
            <button type="button" className="small" aria-label={t('common.closeNotice', { text: toast.text })} onClick={() => setToasts((current) => current.filter((x) => x.id !== toast.id))}>
              {t('common.close')}
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
