// The one way a page changes something: run the mutation, show it pending,
// turn an API error into a message and errors beside their fields, say what
// was done, and refresh what it changed.
import { useState } from 'react';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { fieldErrorMap } from '../api/errors';

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

export function useAction(invalidates: readonly QueryKey[] = []): Action {
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = async <T,>(fn: () => Promise<T>, done?: string | ((result: T) => string)): Promise<T | undefined> => {
    setError(null);
    setNotice(null);
    setPending(true);
    try {
      const result = await fn();
      if (done) setNotice(typeof done === 'function' ? done(result) : done);
      await Promise.all(invalidates.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
      return result;
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setPending(false);
    }
  };
  return { run, pending, error, setError, fields: fieldErrorMap(error), notice };
}
