import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadMedia } from '../delivery/upload';
import { FilePicker } from '../ui/FilePicker';

/** Uploaded images by id, shown as thumbnails, with upload and removal.
 * `onChange` takes an update (a state setter fits), so an upload that ends
 * after other edits adds to them instead of replacing them. */
export function ImageList({ label, ids, max, onChange, onError }: { label: string; ids: string[]; max: number; onChange: (update: (ids: string[]) => string[]) => void; onError: (e: unknown) => void }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  return (
    <fieldset>
      <legend>{label}</legend>
      <ul className="thumbs">
        {ids.map((id, i) => (
          <li key={id}>
            <img src={`/media/${id}`} alt={`${label} ${i + 1}`} />
            <button type="button" onClick={() => onChange((current) => current.filter((x) => x !== id))}>
              {t('card.removeImage')}
            </button>
          </li>
        ))}
        {ids.length === 0 && <li className="help">{t('card.noImage')}</li>}
      </ul>
      {ids.length < max && (
        <FilePicker
          accept="image/jpeg,image/png"
          disabled={busy}
          onFile={async (file) => {
            setBusy(true);
            try {
              const uploaded = (await uploadMedia(file)).id;
              // Against the list as it is now, not as it was when the upload began.
              onChange((current) => [...current, uploaded]);
            } catch (err) {
              onError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          {t('card.addImage')}
        </FilePicker>
      )}
    </fieldset>
  );
}
