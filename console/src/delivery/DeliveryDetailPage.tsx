import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { useViewer } from '../auth/useViewer';
import { Alert } from '../ui/Alert';
import { formatDateTime } from '../ui/format';
import { fromStored } from './draft';
import { jstLocalToIso } from '../ui/format';
import { ApproveDelivery, CancelDelivery, DeleteDelivery, DeliveryQuery, DuplicateDelivery, ScheduleDelivery, TestSend, TesterCode } from './queries';
import { TalkPreview } from './TalkPreview';
import { Statistics } from './Statistics';
import { keys } from '../api/keys';
import { useAction } from '../ui/useAction';
import { waiting } from '../ui/QueryState';

/** 配信詳細: content, test send, approval, schedule or send now, and the live statistics while it goes out. */
export function DeliveryDetailPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const id = Number(useParams().id);
  const queryClient = useQueryClient();
  const permissions = useViewer().data?.viewer?.account.permissions ?? [];
  const [at, setAt] = useState('');
  const [code, setCode] = useState<string | null>(null);
  const page = useQuery({
    queryKey: keys.delivery(id),
    queryFn: () => request(DeliveryQuery, { id }),
    // Follow it while it is waiting or going out, and while a tester code waits to be sent from LINE.
    refetchInterval: (q) => {
      if (['SCHEDULED', 'SENDING'].includes(q.state.data?.delivery.status ?? '')) return 1000;
      return code !== null && !q.state.data?.myTesterLinkedAt ? 2000 : false;
    },
  });
  const { run: act, error, notice } = useAction([keys.delivery(id), keys.deliveriesAll], { inline: true });

  const d = page.data?.delivery;
  const wait = waiting(t, page);
  if (wait || !d) return wait;
  const editable = d.status === 'DRAFT' || d.status === 'SCHEDULED';
  const can = (p: string) => permissions.includes(p);
  const needsApproval = d.requiresApproval && !d.approvedAt;
  const n = (x: number) => x.toLocaleString('ja-JP');
  const whom = { count: n(d.expectedRecipients), target: d.targetDescription };
  // The banner of a scheduling clears once the delivery is under way or done.
  const shownNotice = notice === t('delivery.scheduledNotice') && d.status !== 'SCHEDULED' ? null : notice;
  const messages = d.messages.map(fromStored);

  return (
    <section>
      <p>
        <Link to="/deliveries">{t('delivery.backToList')}</Link>
      </p>
      <h1>{d.title}</h1>
      {error !== null && <Alert kind="error">{errorMessage(error, t)}</Alert>}
      {shownNotice && <Alert kind="success">{shownNotice}</Alert>}
      <p>
        <span className={`badge status-${d.status.toLowerCase()}`} data-testid="delivery-status">
          {t(`delivery.status.${d.status}`)}
        </span>{' '}
        {t('delivery.createdBy', { name: d.createdBy, at: formatDateTime(d.createdAt) })}
        {d.scheduledAt && d.status === 'SCHEDULED' && <> ・{t('delivery.scheduledFor', { at: formatDateTime(d.scheduledAt) })}</>}
      </p>
      {d.requiresApproval && <p>{d.approvedAt ? t('delivery.approved', { at: formatDateTime(d.approvedAt) }) : t('delivery.needsApproval')}</p>}
      <dl className="summary" data-testid="delivery-target">
        <dt>{t('delivery.target')}</dt>
        <dd>{d.targetDescription}</dd>
        {editable && (
          <>
            <dt>{t('delivery.expected')}</dt>
            <dd>
              <strong data-testid="expected-recipients">{n(d.expectedRecipients)}</strong>
              {t('delivery.people')} <span className="help">{t('delivery.expectedNote')}</span>
            </dd>
          </>
        )}
      </dl>
      <div className="builder">
        <div className="builder-conditions">
          {(d.status === 'SENDING' || d.status === 'COMPLETED') && <Statistics delivery={d} />}
          {editable && (
            <>
              <h2>{t('delivery.testSend')}</h2>
              {page.data?.myTesterLinkedAt ? (
                <p>
                  {t('delivery.testerLinked', { at: formatDateTime(page.data.myTesterLinkedAt) })}{' '}
                  {can('delivery.create') && (
                    <button type="button" onClick={() => void act(() => request(TestSend, { id }), t('delivery.testSent'))}>
                      {t('delivery.testSendButton')}
                    </button>
                  )}
                </p>
              ) : (
                <div>
                  <p className="help">{t('delivery.testerHelp')}</p>
                  <button
                    type="button"
                    onClick={() =>
                      void act(async () => {
                        const r = await request(TesterCode);
                        setCode(r.createTesterLinkCode.code);
                      })
                    }
                  >
                    {t('delivery.testerCodeButton')}
                  </button>
                  {code && (
                    <p aria-live="polite">
                      {t('delivery.testerCode')} <strong data-testid="tester-code">{code}</strong>
                    </p>
                  )}
                  {code && (
                    <button type="button" onClick={() => void queryClient.invalidateQueries({ queryKey: keys.delivery(id) })}>
                      {t('delivery.testerCheck')}
                    </button>
                  )}
                </div>
              )}
              <h2>{t('delivery.send')}</h2>
              {needsApproval && can('delivery.approve') && (
                <p>
                  <button type="button" onClick={() => void act(() => request(ApproveDelivery, { id }), t('delivery.approvedNotice'))}>
                    {t('delivery.approve')}
                  </button>
                </p>
              )}
              {can('delivery.send') && needsApproval && <p className="help">{t('delivery.sendAfterApproval')}</p>}
              {can('delivery.send') && !needsApproval && (
                <div className="inline-form">
                  <label>
                    {t('delivery.scheduleAt')}{' '}
                    <input type="datetime-local" step={1} value={at} onChange={(e) => setAt(e.target.value)} />
                  </label>{' '}
                  <button
                    type="button"
                    className="primary"
                    disabled={jstLocalToIso(at) === null}
                    onClick={() => {
                      const when = jstLocalToIso(at);
                      if (when === null) return;
                      const past = new Date(when).getTime() <= Date.now();
                      const question = past
                        ? t('delivery.confirmPastSchedule', { at: formatDateTime(when), ...whom })
                        : t('delivery.confirmSchedule', { at: formatDateTime(when), ...whom });
                      if (!window.confirm(question)) return;
                      void act(() => request(ScheduleDelivery, { id, at: past ? null : when }), past ? t('delivery.sentNotice') : t('delivery.scheduledNotice'));
                    }}
                  >
                    {t('delivery.schedule')}
                  </button>{' '}
                  <button
                    type="button"
                    className="primary"
                    onClick={() => window.confirm(t('delivery.confirmSendNow', whom)) && void act(() => request(ScheduleDelivery, { id, at: null }), t('delivery.sentNotice'))}
                  >
                    {t('delivery.sendNow')}
                  </button>
                </div>
              )}
              <p>
                {can('delivery.create') && (
                  <Link className="button" to={`/deliveries/${id}/edit`}>
                    {t('common.edit')}
                  </Link>
                )}{' '}
                {d.status === 'SCHEDULED' && (can('delivery.send') || can('delivery.create')) && (
                  <button type="button" onClick={() => void act(() => request(CancelDelivery, { id }), t('delivery.cancelledNotice'))}>
                    {t('delivery.cancel')}
                  </button>
                )}
              </p>
            </>
          )}
          <p>
            {can('delivery.create') && (
              <button
                type="button"
                onClick={() =>
                  void act(async () => {
                    const r = await request(DuplicateDelivery, { id });
                    void navigate(`/deliveries/${r.duplicateDelivery.id}`);
                  })
                }
              >
                {t('delivery.duplicate')}
              </button>
            )}{' '}
            {can('delivery.create') && (d.status === 'DRAFT' || d.status === 'CANCELLED') && (
              <button
                type="button"
                onClick={() =>
                  window.confirm(d.status === 'DRAFT' ? t('delivery.confirmDeleteDraft') : t('delivery.confirmDelete')) &&
                  void act(async () => {
                    await request(DeleteDelivery, { id });
                    void navigate('/deliveries');
                  })
                }
              >
                {d.status === 'DRAFT' ? t('delivery.deleteDraft') : t('common.delete')}
              </button>
            )}
          </p>
        </div>
        <aside className="form-preview">
          <h2>{t('delivery.preview')}</h2>
          <TalkPreview messages={messages} />
        </aside>
      </div>
    </section>
  );
}
