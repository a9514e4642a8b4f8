// The one way the console talks to the API: GraphQL over HTTP with the
// session cookie, typed documents generated from schema.graphql.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { ApiError, fromGraphQLErrors } from './errors';

export const SESSION_EXPIRED_EVENT = 'tenohira:session-expired';

export async function request<TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
): Promise<TResult> {
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: print(document), variables: variables ?? {} }),
  });
  let body: { data?: TResult | null; errors?: { message?: string; extensions?: Record<string, never> }[] };
  try {
    body = await res.json();
  } catch {
    throw new ApiError('INTERNAL', `HTTP ${res.status}`);
  }
  if (body.errors && body.errors.length > 0) {
    const error = fromGraphQLErrors(body.errors);
    if (error.code === 'UNAUTHENTICATED') {
      window.dispatchEvent(new CustomEvent(SESSION_EXPIRED_EVENT));
    }
    throw error;
  }
  return body.data as TResult;
}
