import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../../api/client';
import { graphql } from '../../gql';
import { keys } from '../../api/keys';
import { waiting } from '../../ui/QueryState';
import { useAction } from '../../ui/useAction';
import { formatDateTime } from '../../ui/format';

const HandoversQuery = graphql(`
  query ChatbotHandovers { chatbotHandovers { id friendId scenario nodeId createdAt } }
`);
const Close = graphql(`
  mutation CloseChatbotHandover($id: Int!) { closeChatbotHandover(id: $id) }
`);

/** 担当者への引き継ぎ: residents a scenario handed to a person, until someone takes them over. */
export function Handovers() {
  const { t } = useTranslation();
  const list = useQuery({ queryKey: keys.handovers, queryFn: () => request(HandoversQuery) });
  const { run, pending } = useAction([keys.handovers]);
  const rows = list.data?.chatbotHandovers ?? [];
  return (
    <section aria-labelledby="handovers-title">
      <h2 id="handovers-title">{t('scenario.handovers')}</h2>
      <p className="help">{t('scenario.handoversHelp')}</p>
      {waiting(t, list) ??
        (rows.length === 0 ? (
          <p>{t('scenario.noHandovers')}</p>
        ) : (
          <table data-testid="handovers">
            <thead>
              <tr>
                <th scope="col">{t('scenario.handoverAt')}</th>
                <th scope="col">{t('scenario.handoverFriend')}</th>
                <th scope="col">{t('scenario.name')}</th>
                <th scope="col">{t('scenario.handoverNode')}</th>
                <th scope="col">{t('faq.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((h) => (
                <tr key={h.id}>
                  <td>{formatDateTime(h.createdAt)}</td>
                  <td>{h.friendId ?? t('scenario.handoverLeft')}</td>
                  <td>{h.scenario ?? '—'}</td>
                  <td>{h.nodeId}</td>
                  <td>
                    <button type="button" disabled={pending} onClick={() => void run(() => request(Close, { id: h.id }), t('scenario.handoverClosed'))}>
                      {t('scenario.closeHandover')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}
