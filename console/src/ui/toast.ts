// Toasts: what an action did, shown where the eye is (the corner of the
// screen) however far down the page the action was. A success goes by
// itself after a few seconds (it would otherwise cover the page's lower
// corner); an error stays until closed.
import { createContext, useContext } from 'react';

export type ToastKind = 'success' | 'error';
export type Toast = { id: number; kind: ToastKind; text: string };
export type PushToast = (kind: ToastKind, text: string) => void;

export const ToastContext = createContext<PushToast>(() => undefined);

/** Shows a toast: a success for SUCCESS_MS, an error until its 閉じる is pressed. */
export function useToast(): PushToast {
  return useContext(ToastContext);
}

export const SUCCESS_MS = 6000;

/** At most this many at once: older ones have been seen by the time three more came. */
export const MAX_TOASTS = 3;

/** The list after `next` arrives: the same text is not shown twice, the oldest go first. */
export function withToast(toasts: readonly Toast[], next: Toast): Toast[] {
  return [...toasts.filter((t) => t.text !== next.text), next].slice(-MAX_TOASTS);
}
