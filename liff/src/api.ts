import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { forgetToken, idToken } from './identity';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export async function request<R, V>(doc: TypedDocumentNode<R, V>, variables?: V): Promise<R> {
  const token = await idToken();
  const res = await fetch('/liff/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(doc), variables: variables ?? {} }),
  });
  const body = await res.json();
  const e = body.errors?.[0];
  if (e) {
    const code = e.extensions?.code ?? 'UNKNOWN';
    if (code === 'UNAUTHENTICATED') forgetToken();
    throw new ApiError(code, e.message, e.extensions?.fieldErrors ?? []);
  }
  return body.data as R;
}
