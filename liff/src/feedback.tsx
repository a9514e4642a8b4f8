// Feedback where the resident looks: a message under its question, the
// first one focused and scrolled to, and 閉じる once the work is done.
import { type RefObject, useEffect, useState } from 'react';
import { closePage } from './identity';
import { t } from './messages';

/** The message under a question; its id is what the control's aria-describedby names. */
export function FieldMessage({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <p className="field-error" id={id}>
      {message}
    </p>
  );
}

/**
 * After each refused save (`attempt` counts them), moves focus to the first
 * question with an error and scrolls it into the middle of the screen: on a
 * phone the message would otherwise be far above the button.
 */
export function useFocusFirstError(form: RefObject<HTMLElement | null>, attempt: number) {
  useEffect(() => {
    if (attempt === 0) return;
    const first = form.current?.querySelector<HTMLElement>('[aria-invalid="true"], [data-invalid] input, [data-invalid] select, [data-invalid] textarea');
    if (!first) return;
    first.focus({ preventScroll: true });
    first.scrollIntoView?.({ block: 'center' });
  }, [form, attempt]);
}

/**
 * 閉じる: back to the chat. An ordinary browser may refuse to close a tab it
 * did not open by script; then the page says so instead of doing nothing.
 */
export function CloseButton() {
  const [stillOpen, setStillOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        onClick={() => {
          closePage();
          window.setTimeout(() => setStillOpen(true), 400);
        }}
      >
        {t.close}
      </button>
      {stillOpen && <p role="status">{t.closeByHand}</p>}
    </>
  );
}
