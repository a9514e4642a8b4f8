// Errors from the API, with `extensions.code` mapped to Japanese messages.

export type FieldError = { field: string; message: string };

export const KNOWN_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'INTERNAL',
] as const;

export class ApiError extends Error {
  readonly code: string;
  readonly fieldErrors: FieldError[];
  readonly errorId: string | undefined;
  readonly serverMessage: string;

  constructor(code: string, serverMessage: string, fieldErrors: FieldError[] = [], errorId?: string) {
    super(serverMessage);
    this.code = code;
    this.serverMessage = serverMessage;
    this.fieldErrors = fieldErrors;
    this.errorId = errorId;
  }
}

type RawError = { message?: string; extensions?: { code?: string; errorId?: string; field?: string; fieldErrors?: FieldError[] } };

/** Builds an ApiError from the first GraphQL error of a response. */
export function fromGraphQLErrors(errors: RawError[]): ApiError {
  const first = errors[0] ?? {};
  const ext = first.extensions ?? {};
  const code = ext.code ?? 'UNKNOWN';
  const fields = ext.fieldErrors ?? (ext.field ? [{ field: ext.field, message: first.message ?? '' }] : []);
  return new ApiError(code, first.message ?? '', fields, ext.errorId);
}

export type T = (key: string, options?: Record<string, unknown>) => string;

/**
 * The message to show for an error. The server's own Japanese message is
 * shown for input problems, conflicts and throttling (it says what to fix);
 * other codes get the catalogue's generic text (no internals leak).
 */
export function errorMessage(error: unknown, t: T): string {
  if (!(error instanceof ApiError)) {
    return t(error instanceof TypeError ? 'errors.NETWORK' : 'errors.UNKNOWN');
  }
  const japanese = (m: string) => /[\u3040-\u30ff\u4e00-\u9faf]/.test(m);
  const firstField = error.fieldErrors[0]?.message;
  if (error.code === 'BAD_USER_INPUT' && firstField && japanese(firstField)) {
    return firstField;
  }
  const serverSays = ['BAD_USER_INPUT', 'CONFLICT', 'RATE_LIMITED', 'FORBIDDEN', 'UNAUTHENTICATED'];
  if (serverSays.includes(error.code) && japanese(error.serverMessage)) {
    return error.serverMessage;
  }
  if ((KNOWN_CODES as readonly string[]).includes(error.code)) {
    return t(`errors.${error.code}`, { id: error.errorId ?? '-' });
  }
  return t('errors.UNKNOWN');
}

/** Field errors keyed by the last part of their path (`input.loginId` → `loginId`). */
export function fieldErrorMap(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const f of error.fieldErrors) {
    const key = f.field.replace(/^input\./, '');
    out[key] ??= f.message;
  }
  return out;
}
