// Toasts: what an action did, shown where the eye is (the corner of the
// screen) however far down the page the action was, and kept until closed.
import { createContext, useContext } from 'react';

export type ToastKind = 'success' | 'error';
export type Toast = { id: number; kind: ToastKind; text: string };
export type PushToast = (kind: ToastKind, text: string) => void;

export const ToastContext = createContext<PushToast>(() => undefined);

/** Shows a toast; it stays until its 閉じる is pressed. */
export function useToast(): PushToast {
  return useContext(ToastContext);
}

/** At most this many at once: older ones have been seen by the time three more came. */
export const MAX_TOASTS = 3;

/** The list after `next` arrives: the same text is not shown twice, the oldest go first. */
export function withToast(toasts: readonly Toast[], next: Toast): Toast[] {
  return [...toasts.filter((t) => t.text !== next.text), next].slice(-MAX_TOASTS);
}
