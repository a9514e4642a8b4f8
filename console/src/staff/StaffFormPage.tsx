import { useEffect, useState } from 'react';
import { keys } from '../api/keys';
import { useAction } from '../ui/useAction';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import { request } from '../api/client';
import { Alert } from '../ui/Alert';
import { Field } from '../ui/Field';
import { CopyButton } from '../ui/CopyButton';
import { PermissionPicker } from './PermissionPicker';
import { waiting } from '../ui/QueryState';
import {
  CatalogueQuery,
  CreateStaffAccountMutation,
  ResetPasswordMutation,
  ResetTotpMutation,
  SetEnabledMutation,
  StaffAccountQuery,
  UpdateStaffAccountMutation,
} from './queries';

export function StaffFormPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const isNew = !id;
  const navigate = useNavigate();
  const catalogue = useQuery({ queryKey: keys.catalogue, queryFn: () => request(CatalogueQuery) });
  const account = useQuery({ queryKey: keys.staffAccount(id), queryFn: () => request(StaffAccountQuery, { id: id! }), enabled: !isNew });
  const [loginId, setLoginId] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [teamId, setTeamId] = useState('');
  const [permissions, setPermissions] = useState<string[]>([]);
  const { run: act, fields } = useAction([keys.staffAccountsAll, keys.staffAccount(id)]);
  // The temporary password just issued, and for whom: shown once, with a copy button.
  const [secret, setSecret] = useState<{ loginId: string; password: string } | null>(null);

  const a = account.data?.staffAccount;
  useEffect(() => {
    if (a) {
      setLoginId(a.loginId);
      setDisplayName(a.displayName);
      setTeamId(a.team?.id ?? '');
      setPermissions(a.permissions);
    }
  }, [a]);

  // Editing starts from the stored account: no form before it has loaded.
  if (!isNew && !a) {
    return waiting(t, account) ?? <p role="status">{t('common.loading')}</p>;
  }
  return (
    <section>
      <h1>{isNew ? t('staff.createTitle') : t('staff.editTitle', { loginId: a?.loginId ?? '' })}</h1>
      {secret && (
        <Alert kind="info">
          {t('staff.temporaryPasswordOf', { loginId: secret.loginId })} <code data-testid="temporary-password">{secret.password}</code>{' '}
          <CopyButton text={secret.password} label={t('staff.copyTemporary')} />
          <br />
          {t('staff.temporaryHelp')}
        </Alert>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            if (isNew) {
              const r = await request(CreateStaffAccountMutation, {
                input: { loginId, displayName, teamId: teamId || null, permissions },
              });
              const password = r.createStaffAccount.temporaryPassword;
              if (password) setSecret({ loginId, password });
              // Ready for the next account: a second one must not inherit these permissions.
              setLoginId('');
              setDisplayName('');
              setTeamId('');
              setPermissions([]);
            } else {
              await request(UpdateStaffAccountMutation, { id: id!, input: { displayName, teamId: teamId || null, permissions } });
            }
          }, isNew ? t('staff.created') : t('common.saved'));
        }}
      >
        <Field label={t('staff.loginId')} name="loginId" required disabled={!isNew} value={loginId} onChange={(e) => setLoginId(e.target.value)} error={fields['loginId']} />
        <Field label={t('staff.displayName')} name="displayName" required value={displayName} onChange={(e) => setDisplayName(e.target.value)} error={fields['displayName']} />
        <div className="field">
          <label htmlFor="team">{t('staff.team')}</label>
          <select id="team" name="team" value={teamId} onChange={(e) => setTeamId(e.target.value)}>
            <option value="">{t('staff.noTeam')}</option>
            {catalogue.data?.teams.map((tm) => (
              <option key={tm.id} value={tm.id}>
                {tm.name}
              </option>
            ))}
          </select>
          {fields['teamId'] && <p className="field-error">{fields['teamId']}</p>}
        </div>
        {catalogue.data && (
          <PermissionPicker
            catalogue={catalogue.data.permissionCatalogue}
            presets={catalogue.data.rolePresets}
            value={permissions}
            onChange={setPermissions}
            error={Object.entries(fields).find(([k]) => k.startsWith('permissions'))?.[1]}
          />
        )}
        <p className="actions">
          <button type="submit" className="primary">
            {isNew ? t('staff.create') : t('common.save')}
          </button>{' '}
          <button type="button" onClick={() => navigate('/staff')}>
            {t('common.back')}
          </button>
        </p>
      </form>
      {a && (
        <p className="actions danger-zone">
          <button
            type="button"
            onClick={() => {
              if (a.enabled && !window.confirm(t('staff.confirmDisable', { loginId: a.loginId }))) return;
              void act(() => request(SetEnabledMutation, { id: a.id, enabled: !a.enabled }), t('common.saved'));
            }}
          >
            {a.enabled ? t('staff.disable') : t('staff.enable')}
          </button>{' '}
          <button
            type="button"
            onClick={() => {
              if (!window.confirm(t('staff.confirmReset', { loginId: a.loginId }))) return;
              void act(async () => {
                const r = await request(ResetPasswordMutation, { id: a.id });
                setSecret({ loginId: a.loginId, password: r.resetStaffPassword.temporaryPassword });
              });
            }}
          >
            {t('staff.resetPassword')}
          </button>{' '}
          {a.totpEnrolled && (
            <button
              type="button"
              onClick={() => {
                if (!window.confirm(t('staff.confirmResetTotp', { loginId: a.loginId }))) return;
                void act(() => request(ResetTotpMutation, { id: a.id }), t('common.saved'));
              }}
            >
              {t('staff.resetTotp')}
            </button>
          )}
        </p>
      )}
    </section>
  );
}
