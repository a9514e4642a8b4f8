import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage, fieldErrorMap } from '../api/errors';
import { graphql } from '../gql';
import { Alert } from '../ui/Alert';
import { Field } from '../ui/Field';
import { formatDateTime } from '../ui/format';
import { CatalogueQuery } from '../staff/queries';
import { PermissionPicker } from '../staff/PermissionPicker';
import { keys } from '../api/keys';

const ServiceAccountsQuery = graphql(`
  query ServiceAccounts { serviceAccounts { id name description permissions tokenHint createdAt lastUsedAt revokedAt } }
`);
const CreateServiceAccountMutation = graphql(`
  mutation CreateServiceAccount($input: CreateServiceAccountInput!) {
    createServiceAccount(input: $input) { token serviceAccount { id } }
  }
`);
const RevokeServiceAccountMutation = graphql(`
  mutation RevokeServiceAccount($id: UUID!) { revokeServiceAccount(id: $id) { id } }
`);

export function ServiceAccountsPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: keys.serviceAccounts, queryFn: () => request(ServiceAccountsQuery) });
  const catalogue = useQuery({ queryKey: keys.catalogue, queryFn: () => request(CatalogueQuery) });
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [permissions, setPermissions] = useState<string[]>([]);
  const [token, setToken] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const fields = fieldErrorMap(error);
  const usable = catalogue.data?.permissionCatalogue.filter((p) => !p.requiresSecondFactor) ?? [];
  return (
    <section>
      <h1>{t('serviceAccounts.title')}</h1>
      <p>{t('serviceAccounts.help')}</p>
      {error !== null && <Alert kind="error">{errorMessage(error, t)}</Alert>}
      {token && (
        <Alert kind="info">
          {t('serviceAccounts.token')} <code data-testid="service-token">{token}</code>
        </Alert>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            const r = await request(CreateServiceAccountMutation, { input: { name, description, permissions } });
            setToken(r.createServiceAccount.token);
            setName('');
            setDescription('');
            setPermissions([]);
            await queryClient.invalidateQueries({ queryKey: keys.serviceAccounts });
          } catch (err) {
            setError(err);
          }
        }}
      >
        <h2>{t('serviceAccounts.new')}</h2>
        <Field label={t('serviceAccounts.name')} required value={name} onChange={(e) => setName(e.target.value)} error={fields['name']} />
        <Field label={t('serviceAccounts.description')} value={description} onChange={(e) => setDescription(e.target.value)} />
        <PermissionPicker catalogue={usable} presets={[]} value={permissions} onChange={setPermissions} error={Object.entries(fields).find(([k]) => k.startsWith('permissions'))?.[1]} />
        <button type="submit" className="primary">
          {t('common.create')}
        </button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('serviceAccounts.name')}</th>
            <th scope="col">{t('serviceAccounts.permissions')}</th>
            <th scope="col">{t('serviceAccounts.hint')}</th>
            <th scope="col">{t('serviceAccounts.lastUsed')}</th>
            <th scope="col">{t('staff.status')}</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.serviceAccounts.map((s) => (
            <tr key={s.id}>
              <td>{s.name}</td>
              <td>{s.permissions.join(' ')}</td>
              <td>
                <code>{s.tokenHint}…</code>
              </td>
              <td>{formatDateTime(s.lastUsedAt)}</td>
              <td>
                {s.revokedAt ? (
                  `${t('serviceAccounts.revoked')}（${formatDateTime(s.revokedAt)}）`
                ) : (
                  <button
                    type="button"
                    onClick={async () => {
                      if (!window.confirm(t('serviceAccounts.confirmRevoke', { name: s.name }))) return;
                      try {
                        await request(RevokeServiceAccountMutation, { id: s.id });
                        await queryClient.invalidateQueries({ queryKey: keys.serviceAccounts });
                      } catch (err) {
                        setError(err);
                      }
                    }}
                  >
                    {t('serviceAccounts.revoke')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
