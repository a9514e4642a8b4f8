import { useState } from 'react';
import { request } from './api';
import { graphql } from './gql';
import { t } from './messages';

const WithdrawMutation = graphql(`
  mutation WithdrawMySettings { withdrawMySettings }
`);

export function WithdrawPage() {
  const [done, setDone] = useState(false);
  const [error, setError] = useState(false);
  return (
    <main className="page">
      <h1>{t.withdrawTitle}</h1>
      <p>{t.withdrawText}</p>
      {done ? (
        <p role="status" className="ok">
          {t.withdrawn}
        </p>
      ) : (
        <button
          type="button"
          className="danger"
          onClick={async () => {
            if (!window.confirm(t.withdrawConfirm)) return;
            try {
              await request(WithdrawMutation);
              setDone(true);
            } catch {
              setError(true);
            }
          }}
        >
          {t.withdrawButton}
        </button>
      )}
      {error && (
        <p role="alert" className="error">
          {t.error}
        </p>
      )}
      <p>
        <a href="/liff/">{t.back}</a>
      </p>
    </main>
  );
}
