import { useEffect, useState } from 'react';
import { request } from './api';
import { graphql } from './gql';
import { c, t } from './messages';

const PassQuery = graphql(`
  query MaitamaPassPage {
    maitamaPass { imageUrls body linkUrl version }
  }
`);

type Pass = Awaited<ReturnType<typeof load>>['maitamaPass'];
const load = () => request(PassQuery);

/** The Maitama pass: anyone may show it at any time, no registration needed. */
export function PassPage() {
  const [pass, setPass] = useState<Pass | undefined>(undefined);
  const [error, setError] = useState(false);
  useEffect(() => {
    load()
      .then((d) => setPass(d.maitamaPass))
      .catch(() => setError(true));
  }, []);
  return (
    <main className="page">
      <h1>{c.passTitle}</h1>
      {error && (
        <p role="alert" className="error">
          {t.error}
        </p>
      )}
      {pass === undefined && !error && <p role="status">{t.loading}</p>}
      {pass === null && <p>{c.passNone}</p>}
      {pass && (
        <>
          {pass.imageUrls.map((src, i) => (
            <img key={src} className="pass-image" src={src} alt={`${c.passTitle}（${i + 1}枚目）`} />
          ))}
          {pass.body && <p className="pass-body">{pass.body}</p>}
          {pass.linkUrl && (
            <p>
              <a href={pass.linkUrl} rel="noopener noreferrer" target="_blank">
                {c.passLink}
              </a>
            </p>
          )}
        </>
      )}
    </main>
  );
}
