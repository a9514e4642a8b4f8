import { useTranslation } from 'react-i18next';
import type { DraftMessage } from './draft';

/**
 * The messages as a resident sees them in LINE's talk screen: the account's
 * bubbles on the left, images as their previews. Drawn from the draft, so
 * every keystroke shows.
 */
export function TalkPreview({ messages }: { messages: DraftMessage[] }) {
  const { t } = useTranslation();
  return (
    <div className="talk" data-testid="talk-preview" aria-label={t('delivery.preview')}>
      <div className="talk-header">{t('delivery.accountName')}</div>
      <div className="talk-body">
        {messages.length === 0 && <p className="talk-empty">{t('delivery.previewEmpty')}</p>}
        {messages.map((m, i) => (
          <div className="talk-row" key={i}>
            {i === 0 ? <span className="talk-avatar" aria-hidden="true">県</span> : <span className="talk-avatar-space" />}
            {m.kind === 'text' && <p className="talk-bubble">{m.text || ' '}</p>}
            {m.kind === 'image' && <img className="talk-image" src={`/media/${m.mediaId}/preview`} alt={m.fileName || t('delivery.image')} />}
            {m.kind === 'video' && (
              <span className="talk-video">
                <img className="talk-image" src={`/media/${m.previewMediaId}/preview`} alt={m.fileName || t('delivery.video')} />
                <span className="talk-play" aria-hidden="true">▶</span>
              </span>
            )}
          </div>
        ))}
      </div>
    </div>
  );
}
