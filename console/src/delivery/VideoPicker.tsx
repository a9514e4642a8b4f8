import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadMedia } from './upload';

type Props = {
  onAdded: (video: { mediaId: string; previewMediaId: string; fileName: string }) => void;
  onCancel: () => void;
  onError: (e: unknown) => void;
};

/** A video message: the MP4 (≤ 200 MB) and the still image LINE shows before it plays. */
export function VideoPicker({ onAdded, onCancel, onError }: Props) {
  const { t } = useTranslation();
  const [video, setVideo] = useState<File | null>(null);
  const [still, setStill] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  // Opened from 動画を追加: the keyboard continues at its first input.
  useEffect(() => first.current?.focus(), []);
  const add = async () => {
    if (!video || !still) return;
    setBusy(true);
    try {
      const [v, p] = await Promise.all([uploadMedia(video), uploadMedia(still)]);
      onAdded({ mediaId: v.id, previewMediaId: p.id, fileName: video.name });
      setVideo(null);
      setStill(null);
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <fieldset className="condition" data-testid="video-picker">
      <legend>{t('delivery.addVideo')}</legend>
      <label>
        {t('delivery.videoFile')} <input ref={first} type="file" accept="video/mp4" onChange={(e) => setVideo(e.target.files?.[0] ?? null)} />
      </label>
      <label>
        {t('delivery.videoPreview')} <input type="file" accept="image/jpeg,image/png" onChange={(e) => setStill(e.target.files?.[0] ?? null)} />
      </label>
      <button type="button" disabled={!video || !still || busy} onClick={() => void add()}>
        {busy ? t('delivery.uploading') : t('delivery.addVideoButton')}
      </button>{' '}
      <button type="button" onClick={onCancel}>
        {t('common.cancel')}
      </button>
    </fieldset>
  );
}
