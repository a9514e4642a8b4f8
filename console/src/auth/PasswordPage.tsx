import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { request } from '../api/client';
import { errorMessage, fieldErrorMap } from '../api/errors';
import { Alert } from '../ui/Alert';
import { Field } from '../ui/Field';
import { ChangePasswordMutation } from './queries';
import { useViewer, VIEWER_KEY } from './useViewer';

export function PasswordPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const viewer = useViewer();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<unknown>(null);
  const mustChange = viewer.data?.viewer?.account.mustChangePassword;
  const fields = fieldErrorMap(error);
  const mismatch = confirm !== '' && confirm !== next;
  return (
    <section>
      <h1>{t('password.title')}</h1>
      {mustChange && <Alert kind="info">{t('signin.mustChange')}</Alert>}
      {error !== null && <Alert kind="error">{errorMessage(error, t)}</Alert>}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (mismatch) return;
          setError(null);
          try {
            await request(ChangePasswordMutation, { input: { currentPassword: current, newPassword: next } });
            await queryClient.invalidateQueries({ queryKey: VIEWER_KEY });
            navigate('/', { replace: true, state: { flash: t('password.changed') } });
          } catch (err) {
            setError(err);
          }
        }}
      >
        <Field label={t('password.current')} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} error={fields['currentPassword']} />
        <Field label={t('password.new')} type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} help={t('password.policy')} error={fields['newPassword']} />
        <Field label={t('password.confirm')} type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} error={mismatch ? t('password.mismatch') : undefined} />
        <button type="submit" className="primary">
          {t('common.save')}
        </button>
      </form>
    </section>
  );
}
