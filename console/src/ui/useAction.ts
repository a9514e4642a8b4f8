// The one way a page changes something: run the mutation, show it pending,
// turn an API error into a message and errors beside their fields, say what
// was done, and refresh what it changed.
import { useState } from 'react';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { errorMessage, fieldErrorMap } from '../api/errors';
import { useToast } from './toast';

export type Action = {
  /** Runs `fn`; on success shows `done` (a text, or one made from the result) and refreshes `invalidates`. Resolves to `fn`'s result, or undefined when it failed. */
  run: <T>(fn: () => Promise<T>, done?: string | ((result: T) => string)) => Promise<T | undefined>;
  pending: boolean;
  /** The last failure (shown with `errorMessage`), or null. */
  error: unknown;
  setError: (e: unknown) => void;
  /** Errors by input path (`input.title`), beside their fields. */
  fields: Record<string, string>;
  /** What the last success did, for a success notice. */
  notice: string | null;
};

/**
 * `inline`: the page shows `notice` and `error` itself, next to the action
 * (the delivery page's status). Otherwise both go to a toast, which stays
 * until closed; errors of single fields are also shown at those fields.
 */
export function useAction(invalidates: readonly QueryKey[] = [], { inline = false }: { inline?: boolean } = {}): Action {
  const queryClient = useQueryClient();
  const { t } = useTranslation();
  const toast = useToast();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = async <T,>(fn: () => Promise<T>, done?: string | ((result: T) => string)): Promise<T | undefined> => {
    setError(null);
    setNotice(null);
    setPending(true);
    try {
      const result = await fn();
      if (done) {
        const text = typeof done === 'function' ? done(result) : done;
        setNotice(text);
        if (!inline) toast('success', text);
      }
      await Promise.all(invalidates.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
      return result;
    } catch (e) {
      setError(e);
      if (!inline) toast('error', errorMessage(e, t));
      return undefined;
    } finally {
      setPending(false);
    }
  };
  const report = (e: unknown) => {
    setError(e);
    if (!inline && e !== null) toast('error', errorMessage(e, t));
  };
  return { run, pending, error, setError: report, fields: fieldErrorMap(error), notice };
}
