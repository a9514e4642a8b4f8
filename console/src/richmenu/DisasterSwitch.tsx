import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { keys } from '../api/keys';
import { Alert } from '../ui/Alert';
import { useAction } from '../ui/useAction';
import { DisasterModeQuery, SetDisasterMode } from './queries';

/** 災害モード: one action shows everyone the disaster menu; the same turns it back. Asks first. */
export function DisasterSwitch() {
  const { t } = useTranslation();
  const mode = useQuery({
    queryKey: keys.richMenuDisaster,
    queryFn: () => request(DisasterModeQuery),
    refetchInterval: (q) => {
      const s = q.state.data?.richMenuDisasterMode.lastSwitch?.state;
      return s === 'QUEUED' || s === 'RUNNING' ? 500 : false;
    },
  });
  const [asking, setAsking] = useState(false);
  const act = useAction([keys.richMenuDisaster, keys.richMenus]);
  const m = mode.data?.richMenuDisasterMode;
  if (!m) return null;
  const last = m.lastSwitch;
  const busy = last?.state === 'QUEUED' || last?.state === 'RUNNING';
  const next = !m.on;
  return (
    <section className={`rm-disaster${m.on ? ' rm-disaster-on' : ''}`} aria-labelledby="rm-disaster-title">
      <h2 id="rm-disaster-title">{t('richmenu.disaster')}</h2>
      <p className="rm-disaster-state" data-testid="rm-disaster-state">{m.on ? t('richmenu.disasterStateOn') : t('richmenu.disasterStateOff')}</p>
      <p className="help">{t('richmenu.disasterHelp')}</p>
      {busy && last && <p role="status">{t('richmenu.disasterProgress', { step: last.step, moved: last.residentsMoved, total: last.residentsTotal })}</p>}
      {last?.problem && last.state === 'FAILED' && <Alert kind="error">{last.problem}</Alert>}
      {!asking ? (
        <button type="button" className={next ? 'danger' : 'primary'} disabled={busy} onClick={() => setAsking(true)}>
          {next ? t('richmenu.disasterOn') : t('richmenu.disasterOff')}
        </button>
      ) : (
        <div role="alertdialog" aria-labelledby="rm-disaster-confirm" className="rm-confirm">
          <p id="rm-disaster-confirm">{next ? t('richmenu.disasterConfirmOn') : t('richmenu.disasterConfirmOff')}</p>
          <button
            type="button"
            className={next ? 'danger' : 'primary'}
            onClick={() => {
              setAsking(false);
              void act.run(() => request(SetDisasterMode, { on: next }), t('richmenu.disasterQueued'));
            }}
          >
            {t('common.yes')}
          </button>
          <button type="button" onClick={() => setAsking(false)}>{t('common.cancel')}</button>
        </div>
      )}
    </section>
  );
}
