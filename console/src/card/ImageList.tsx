import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadMedia } from '../delivery/upload';

/** Uploaded images by id, shown as thumbnails, with upload and removal. */
export function ImageList({ label, ids, max, onChange, onError }: { label: string; ids: string[]; max: number; onChange: (ids: string[]) => void; onError: (e: unknown) => void }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  return (
    <fieldset>
      <legend>{label}</legend>
      <ul className="thumbs">
        {ids.map((id, i) => (
          <li key={id}>
            <img src={`/media/${id}`} alt={`${label} ${i + 1}`} />
            <button type="button" onClick={() => onChange(ids.filter((x) => x !== id))}>
              {t('card.removeImage')}
            </button>
          </li>
        ))}
        {ids.length === 0 && <li className="help">{t('card.noImage')}</li>}
      </ul>
      {ids.length < max && (
        <label className="button">
          {t('card.addImage')}
          <input
            type="file"
            accept="image/jpeg,image/png"
            className="visually-hidden"
            disabled={busy}
            onChange={async (e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (!file) return;
              setBusy(true);
              try {
                onChange([...ids, (await uploadMedia(file)).id]);
              } catch (err) {
                onError(err);
              } finally {
                setBusy(false);
              }
            }}
          />
        </label>
      )}
    </fieldset>
  );
}
