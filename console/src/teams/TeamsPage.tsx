import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage, fieldErrorMap } from '../api/errors';
import { graphql } from '../gql';
import { Alert } from '../ui/Alert';
import { Field } from '../ui/Field';
import { keys } from '../api/keys';

const TeamsQuery = graphql(`
  query Teams { teams { id name description memberCount } }
`);
const CreateTeamMutation = graphql(`
  mutation CreateTeam($input: TeamInput!) { createTeam(input: $input) { id } }
`);
const DeleteTeamMutation = graphql(`
  mutation DeleteTeam($id: UUID!) { deleteTeam(id: $id) }
`);

export function TeamsPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const teams = useQuery({ queryKey: keys.teams, queryFn: () => request(TeamsQuery) });
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: keys.teams });
    await queryClient.invalidateQueries({ queryKey: keys.catalogue });
  };
  const fields = fieldErrorMap(error);
  return (
    <section>
      <h1>{t('teams.title')}</h1>
      {error !== null && <Alert kind="error">{errorMessage(error, t)}</Alert>}
      {notice && <Alert kind="success">{notice}</Alert>}
      <form
        className="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setNotice(null);
          try {
            await request(CreateTeamMutation, { input: { name, description } });
            setName('');
            setDescription('');
            setNotice(t('teams.created'));
            await refresh();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <h2>{t('teams.new')}</h2>
        <Field label={t('teams.name')} name="teamName" required value={name} onChange={(e) => setName(e.target.value)} error={fields['name']} />
        <Field label={t('teams.description')} name="teamDescription" value={description} onChange={(e) => setDescription(e.target.value)} error={fields['description']} />
        <button type="submit" className="primary">
          {t('common.create')}
        </button>
      </form>
      {teams.error && <Alert kind="error">{errorMessage(teams.error, t)}</Alert>}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('teams.name')}</th>
            <th scope="col">{t('teams.description')}</th>
            <th scope="col">{t('teams.members')}</th>
            <th scope="col">
              <span className="visually-hidden">{t('common.delete')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {teams.data?.teams.map((tm) => (
            <tr key={tm.id}>
              <td>{tm.name}</td>
              <td>{tm.description}</td>
              <td>{tm.memberCount ?? 0}</td>
              <td>
                <button
                  type="button"
                  aria-label={`${tm.name} ${t('common.delete')}`}
                  onClick={async () => {
                    if (!window.confirm(t('teams.confirmDelete', { name: tm.name }))) return;
                    setError(null);
                    try {
                      await request(DeleteTeamMutation, { id: tm.id });
                      await refresh();
                    } catch (err) {
                      setError(err);
                    }
                  }}
                >
                  {t('common.delete')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
