import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { Alert } from '../ui/Alert';
import { Field } from '../ui/Field';
import { formatDateTime } from '../ui/format';
import { ImageList } from './ImageList';
import { PassVersions, PublishPass } from './queries';
import { keys } from '../api/keys';
import { useAction } from '../ui/useAction';
import { waiting } from '../ui/QueryState';

/** まいたまパス (seed 2.5): staff replace the pass image(s) and text; every change is a new version. */
export function PassPage() {
  const { t } = useTranslation();
  const versions = useQuery({ queryKey: keys.passVersions, queryFn: () => request(PassVersions) });
  const [images, setImages] = useState<string[]>([]);
  const [body, setBody] = useState('');
  const [link, setLink] = useState('');
  const { run: act, error, setError, notice, fields } = useAction([keys.passVersions], { inline: true });
  const current = versions.data?.maitamaPassVersions[0];
  useEffect(() => {
    if (current) {
      setImages(current.imageIds);
      setBody(current.body);
      setLink(current.linkUrl ?? '');
    }
  }, [current]);
  const publish = () =>
    act(() => request(PublishPass, { input: { imageIds: images, body, linkUrl: link.trim() === '' ? null : link } }), t('card.published'));
  // The form is filled from the current version when it arrives: editing
  // before that would be overwritten, so it waits.
  const wait = waiting(t, versions);
  if (wait) return wait;
  return (
    <section>
      <h1>{t('card.passTitle')}</h1>
      <p className="help">{t('card.passHelp')}</p>
      <ImageList label={t('card.passImages')} ids={images} max={5} onChange={setImages} onError={setError} />
      {fields.imageIds && <p className="field-error" role="alert">{fields.imageIds}</p>}
      <div className="field">
        <label htmlFor="pass-body">{t('card.body')}</label>
        <textarea id="pass-body" value={body} rows={4} onChange={(e) => setBody(e.target.value)} aria-invalid={fields.body ? true : undefined} />
      </div>
      <Field label={t('card.linkUrl')} value={link} onChange={(e) => setLink(e.target.value)} error={fields.linkUrl} type="url" />
      <button type="button" className="primary" onClick={() => void publish()}>
        {t('card.publish')}
      </button>
      {notice && <Alert kind="success">{notice}</Alert>}
      {error !== null && <Alert kind="error">{errorMessage(error, t)}</Alert>}
      <h2>{t('card.history')}</h2>
      {versions.data && versions.data.maitamaPassVersions.length === 0 && <p>{t('card.none')}</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('card.version')}</th>
            <th scope="col">{t('card.body')}</th>
            <th scope="col">{t('card.passImages')}</th>
            <th scope="col">{t('card.registeredAt')}</th>
          </tr>
        </thead>
        <tbody>
          {versions.data?.maitamaPassVersions.map((v, i) => (
            <tr key={v.id}>
              <td>
                {v.id}
                {i === 0 && `（${t('card.current')}）`}
              </td>
              <td>{v.body}</td>
              <td>{v.imageIds.length}</td>
              <td>
                {formatDateTime(v.createdAt)} {v.createdByLabel}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
