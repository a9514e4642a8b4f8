import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { Alert } from '../ui/Alert';
import { Field } from '../ui/Field';
import { ImageList } from './ImageList';
import { CardSettingsQuery, UpdateCardSettings } from './queries';
import { keys } from '../api/keys';
import { useAction } from '../ui/useAction';
import { waiting } from '../ui/QueryState';

/** パパママカード設定 (seed 2.6(2)オ): card image, notice, the barcode common to everyone, rules. */
export function CardSettingsPage() {
  const { t } = useTranslation();
  const current = useQuery({ queryKey: keys.cardSettings, queryFn: () => request(CardSettingsQuery) });
  const [image, setImage] = useState<string[]>([]);
  const [barcodeImage, setBarcodeImage] = useState<string[]>([]);
  const [notice, setNotice] = useState('');
  const [barcode, setBarcode] = useState('');
  const [grace, setGrace] = useState('365');
  const [lapse, setLapse] = useState('');
  const { run: act, error, setError, notice: done, fields } = useAction([keys.cardSettings], { inline: true });
  const s = current.data?.cardSettings;
  useEffect(() => {
    if (!s) return;
    setImage(s.cardImageId ? [s.cardImageId] : []);
    setBarcodeImage(s.barcodeImageId ? [s.barcodeImageId] : []);
    setNotice(s.notice);
    setBarcode(s.barcodeValue ?? '');
    setGrace(String(s.pregnancyGraceDays));
    setLapse(s.lapseNotice);
  }, [s]);
  const save = () =>
    act(
      () =>
        request(UpdateCardSettings, {
        input: {
          cardImageId: image[0] ?? null,
          barcodeImageId: barcodeImage[0] ?? null,
          notice,
          barcodeValue: barcode.trim() === '' ? null : barcode,
          pregnancyGraceDays: Number.parseInt(grace, 10) || 0,
          lapseNotice: lapse,
        },
      }),
      t('card.saved'),
    );
  // The form is filled from the current settings when they arrive: editing
  // before that would be overwritten, so it waits.
  const wait = waiting(t, current);
  if (wait) return wait;
  return (
    <section>
      <h1>{t('card.settingsTitle')}</h1>
      <p className="help">{t('card.settingsHelp')}</p>
      <ImageList label={t('card.cardImage')} ids={image} max={1} onChange={setImage} onError={setError} />
      <div className="field">
        <label htmlFor="card-notice">{t('card.notice')}</label>
        <textarea id="card-notice" rows={3} value={notice} onChange={(e) => setNotice(e.target.value)} />
      </div>
      <Field label={t('card.barcodeValue')} value={barcode} onChange={(e) => setBarcode(e.target.value)} error={fields.barcodeValue} inputMode="numeric" />
      <ImageList label={t('card.barcodeImage')} ids={barcodeImage} max={1} onChange={setBarcodeImage} onError={setError} />
      <Field label={t('card.graceDays')} value={grace} onChange={(e) => setGrace(e.target.value)} error={fields.pregnancyGraceDays} type="number" min={0} max={1000} />
      <div className="field">
        <label htmlFor="card-lapse">{t('card.lapseNotice')}</label>
        <textarea id="card-lapse" rows={2} value={lapse} onChange={(e) => setLapse(e.target.value)} />
      </div>
      <button type="button" className="primary" onClick={() => void save()}>
        {t('card.save')}
      </button>
      {done && <Alert kind="success">{done}</Alert>}
      {error !== null && <Alert kind="error">{errorMessage(error, t)}</Alert>}
    </section>
  );
}
