import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { graphql } from '../gql';
import { Field } from '../ui/Field';
import { keys } from '../api/keys';
import { InlineRename } from '../ui/InlineRename';
import { useAction } from '../ui/useAction';
import { waiting } from '../ui/QueryState';

const TeamsQuery = graphql(`
  query Teams { teams { id name description memberCount deliveryRequiresApproval } }
`);
const UpdateTeamMutation = graphql(`
  mutation UpdateTeam($id: UUID!, $input: TeamInput!) { updateTeam(id: $id, input: $input) { id } }
`);
const SetApprovalMutation = graphql(`
  mutation SetTeamDeliveryApproval($id: UUID!, $required: Boolean!) { setTeamDeliveryApproval(teamId: $id, required: $required) }
`);
const CreateTeamMutation = graphql(`
  mutation CreateTeam($input: TeamInput!) { createTeam(input: $input) { id } }
`);
const DeleteTeamMutation = graphql(`
  mutation DeleteTeam($id: UUID!) { deleteTeam(id: $id) }
`);

export function TeamsPage() {
  const { t } = useTranslation();
  const teams = useQuery({ queryKey: keys.teams, queryFn: () => request(TeamsQuery) });
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const { run, fields } = useAction([keys.teams, keys.catalogue]);
  return (
    <section>
      <h1>{t('teams.title')}</h1>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await request(CreateTeamMutation, { input: { name, description } });
            setName('');
            setDescription('');
          }, t('teams.created'));
        }}
      >
        <h2>{t('teams.new')}</h2>
        <Field label={t('teams.name')} name="teamName" required value={name} onChange={(e) => setName(e.target.value)} error={fields['name']} />
        <Field label={t('teams.description')} name="teamDescription" value={description} onChange={(e) => setDescription(e.target.value)} error={fields['description']} />
        <button type="submit" className="primary">
          {t('common.create')}
        </button>
      </form>
      {waiting(t, teams)}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('teams.name')}</th>
            <th scope="col">{t('teams.description')}</th>
            <th scope="col">{t('teams.members')}</th>
            <th scope="col">{t('teams.approval')}</th>
            <th scope="col">{t('teams.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {teams.data?.teams.map((tm) => (
            <tr key={tm.id}>
              <td>{tm.name}</td>
              <td>{tm.description}</td>
              <td>{tm.memberCount ?? 0}</td>
              <td>
                <label>
                  <input
                    type="checkbox"
                    checked={tm.deliveryRequiresApproval}
                    onChange={(e) => {
                      const required = e.target.checked;
                      void run(() => request(SetApprovalMutation, { id: tm.id, required }), required ? t('teams.approvalOn', { name: tm.name }) : t('teams.approvalOff', { name: tm.name }));
                    }}
                  />{' '}
                  {t('teams.requireApproval')}
                </label>
              </td>
              <td>
                <InlineRename current={tm.name} what={tm.name} onRename={(next) => run(() => request(UpdateTeamMutation, { id: tm.id, input: { name: next, description: tm.description } }), t('common.saved'))} />{' '}
                {(tm.memberCount ?? 0) === 0 && (
                  <button
                    type="button"
                    aria-label={`${tm.name} ${t('common.delete')}`}
                    onClick={() => window.confirm(t('teams.confirmDelete', { name: tm.name })) && void run(() => request(DeleteTeamMutation, { id: tm.id }), t('teams.deleted'))}
                  >
                    {t('common.delete')}
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
