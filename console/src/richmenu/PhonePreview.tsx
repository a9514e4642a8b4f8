import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Page } from './model';

/** The menu as a resident sees it under a LINE talk screen; tab areas switch pages. */
export function PhonePreview({ pages }: { pages: Page[] }) {
  const { t } = useTranslation();
  const [shown, setShown] = useState(0);
  const page = pages[Math.min(shown, pages.length - 1)];
  if (!page) return null;
  const pct = (v: number, of: number) => `${(v * 100) / of}%`;
  return (
    <figure className="rm-phone" aria-label={t('richmenu.preview')} data-testid="rm-phone">
      <div className="rm-phone-talk">
        <p className="rm-phone-title">手のひら県</p>
        <p className="rm-phone-bubble">{t('richmenu.previewHelp')}</p>
      </div>
      <div className="rm-phone-menu" style={{ aspectRatio: `${page.width} / ${page.height}` }}>
        {page.image && <img src={`/media/${page.image}`} alt={page.name} />}
        {page.areas.map((a, i) =>
          a.action.kind === 'SWITCH' ? (
            <button
              key={i}
              type="button"
              className="rm-phone-tab"
              aria-label={`${pages[a.action.tab ?? 0]?.name ?? ''}`}
              style={{ left: pct(a.x, page.width), top: pct(a.y, page.height), width: pct(a.width, page.width), height: pct(a.height, page.height) }}
              onClick={() => setShown(a.action.tab ?? 0)}
            />
          ) : null,
        )}
      </div>
      <figcaption className="rm-phone-bar">{page.chatBarText} ▾</figcaption>
    </figure>
  );
}
