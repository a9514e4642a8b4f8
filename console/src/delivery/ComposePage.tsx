import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage, fieldErrorMap } from '../api/errors';
import { ConditionTree } from '../audience/ConditionTree';
import { emptyGroup } from '../audience/expression';
import { Alert } from '../ui/Alert';
import { MoveButtons, moved } from '../ui/MoveButtons';
import { MAX_MESSAGES, MAX_TEXT_UNITS, deliveryInput, fromStored, targetInput, utf16Length, type Draft, type DraftMessage, type DraftTarget } from './draft';
import { VideoPicker } from './VideoPicker';
import { FilePicker } from '../ui/FilePicker';
import { ComposeChoices, CreateDelivery, DeliveryQuery, TargetCount, UpdateDelivery } from './queries';
import { TalkPreview } from './TalkPreview';
import { uploadMedia } from './upload';
import { keys } from '../api/keys';
import { waiting } from '../ui/QueryState';

const EMPTY: Draft = { title: '', messages: [{ kind: 'text', text: '' }], target: { kind: 'all' } };

/** 配信作成: title, up to five messages, whom to reach with the live count, and the talk-screen preview. */
export function ComposePage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const params = useParams();
  const editing = params.id ? Number(params.id) : null;
  const choices = useQuery({ queryKey: keys.composeChoices, queryFn: () => request(ComposeChoices) });
  const existing = useQuery({
    queryKey: keys.delivery(editing),
    queryFn: () => request(DeliveryQuery, { id: editing ?? 0 }),
    enabled: editing !== null,
  });
  const [draft, setDraft] = useState<Draft | null>(editing === null ? EMPTY : null);
  const [error, setError] = useState<unknown>(null);
  const [uploading, setUploading] = useState(false);
  // The video's two file inputs appear only once 動画を追加 is chosen.
  const [addingVideo, setAddingVideo] = useState(false);

  // Editing: start from what was saved.
  useEffect(() => {
    const d = existing.data?.delivery;
    if (!d || draft !== null) return;
    const target: DraftTarget =
      d.target?.kind === 'segment' ? { kind: 'segment', segmentId: d.target.segmentId ?? null } : { kind: 'all' };
    setDraft({
      title: d.title,
      messages: d.messages.map(fromStored),
      target,
    });
  }, [existing.data, draft]);

  const target = draft ? targetInput(draft.target) : null;
  const count = useQuery({
    queryKey: keys.deliveryTargetCount(target),
    queryFn: () => request(TargetCount, { target: target ?? { all: true } }),
    enabled: target !== null,
    placeholderData: (previous) => previous,
  });

  const wait = waiting(t, choices, existing);
  if (wait || !draft || !choices.data) return wait ?? <p role="status">{t('common.loading')}</p>;
  const fields = fieldErrorMap(error);
  const setMessages = (messages: DraftMessage[]) => setDraft({ ...draft, messages });
  const setMessage = (i: number, m: DraftMessage) => setMessages(draft.messages.map((x, j) => (j === i ? m : x)));
  const setTarget = (target: DraftTarget) => setDraft({ ...draft, target });
  const full = draft.messages.length >= MAX_MESSAGES;

  const addImage = async (file: File) => {
    setError(null);
    setUploading(true);
    try {
      const uploaded = await uploadMedia(file);
      setMessages([...draft.messages, { kind: 'image', mediaId: uploaded.id, fileName: file.name }]);
    } catch (e) {
      setError(e);
    } finally {
      setUploading(false);
    }
  };

  const save = async () => {
    setError(null);
    try {
      const input = deliveryInput(draft);
      const id = editing === null ? (await request(CreateDelivery, { input })).createDelivery.id : (await request(UpdateDelivery, { id: editing, input })).updateDelivery.id;
      void navigate(`/deliveries/${id}`);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section>
      <h1>{editing === null ? t('delivery.composeTitle') : t('delivery.editTitle')}</h1>
      {error !== null && <Alert kind="error">{error instanceof Error && !('code' in error) ? error.message : errorMessage(error, t)}</Alert>}
      <div className="builder">
        <div className="builder-conditions">
          <div className="field">
            <label htmlFor="delivery-title">
              {t('delivery.title')}
              <span className="required" aria-hidden="true">＊</span>
            </label>
            <input id="delivery-title" required maxLength={100} value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.target.value })} />
            {fields['input.title'] && <p className="field-error">{fields['input.title']}</p>}
          </div>
          <h2>{t('delivery.messages')}</h2>
          {fields['input.messages'] && <p className="field-error">{fields['input.messages']}</p>}
          <ol className="form-items">
            {draft.messages.map((m, i) => {
              const label = t('delivery.messageN', { n: i + 1 });
              return (
                <li key={i}>
                  <strong>{label}</strong> <MoveButtons name={label} index={i} count={draft.messages.length} onMove={(to) => setMessages(moved(draft.messages, i, to))} />{' '}
                  <button type="button" onClick={() => setMessages(draft.messages.filter((_, j) => j !== i))}>
                    {t('delivery.removeMessage')}
                  </button>
                  {m.kind === 'text' ? (
                    <>
                      <textarea aria-label={t('delivery.textOf', { n: i + 1 })} rows={5} value={m.text} onChange={(e) => setMessage(i, { kind: 'text', text: e.target.value })} />
                      <p className={utf16Length(m.text) > MAX_TEXT_UNITS ? 'field-error' : 'help'} data-testid={`counter-${i}`}>
                        {t('delivery.counter', { n: utf16Length(m.text).toLocaleString('ja-JP'), max: MAX_TEXT_UNITS.toLocaleString('ja-JP') })}
                      </p>
                    </>
                  ) : (
                    <p>
                      <img className="thumb" src={`/media/${m.kind === 'video' ? m.previewMediaId : m.mediaId}/preview`} alt={m.fileName || t(m.kind === 'video' ? 'delivery.video' : 'delivery.image')} /> {m.fileName}
                    </p>
                  )}
                  {fields[`input.messages[${i}].text`] && <p className="field-error">{fields[`input.messages[${i}].text`]}</p>}
                  {fields[`input.messages[${i}].mediaId`] && <p className="field-error">{fields[`input.messages[${i}].mediaId`]}</p>}
                  {fields[`input.messages[${i}].previewMediaId`] && <p className="field-error">{fields[`input.messages[${i}].previewMediaId`]}</p>}
                </li>
              );
            })}
          </ol>
          <p>
            <button type="button" disabled={full} onClick={() => setMessages([...draft.messages, { kind: 'text', text: '' }])}>
              {t('delivery.addText')}
            </button>{' '}
            <FilePicker accept="image/jpeg,image/png" disabled={full || uploading} onFile={(f) => void addImage(f)}>
              {uploading ? t('delivery.uploading') : t('delivery.addImage')}
            </FilePicker>{' '}
            <button type="button" disabled={full} aria-expanded={addingVideo} onClick={() => setAddingVideo(true)}>
              {t('delivery.addVideo')}
            </button>{' '}
            <span className="help">{t('delivery.messageLimit', { max: MAX_MESSAGES })}</span>
          </p>
          {addingVideo && !full && (
            <VideoPicker
              onAdded={(video) => {
                setMessages([...draft.messages, { kind: 'video', ...video }]);
                setAddingVideo(false);
              }}
              onCancel={() => setAddingVideo(false)}
              onError={setError}
            />
          )}
          <h2>{t('delivery.target')}</h2>
          <div className="options" role="radiogroup" aria-label={t('delivery.target')}>
            <label className="check">
              <input type="radio" name="target" checked={draft.target.kind === 'all'} onChange={() => setTarget({ kind: 'all' })} />
              <span>{t('delivery.targetAll')}</span>
            </label>
            <label className="check">
              <input type="radio" name="target" checked={draft.target.kind === 'segment'} onChange={() => setTarget({ kind: 'segment', segmentId: choices.data.segments[0]?.id ?? null })} />
              <span>{t('delivery.targetSegment')}</span>
            </label>
            <label className="check">
              <input type="radio" name="target" checked={draft.target.kind === 'expression'} onChange={() => setTarget({ kind: 'expression', root: emptyGroup() })} />
              <span>{t('delivery.targetExpression')}</span>
            </label>
          </div>
          {draft.target.kind === 'segment' && (
            <label>
              {t('delivery.segment')}{' '}
              <select aria-label={t('delivery.segment')} value={draft.target.segmentId ?? ''} onChange={(e) => setTarget({ kind: 'segment', segmentId: e.target.value === '' ? null : Number(e.target.value) })}>
                {choices.data.segments.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {draft.target.kind === 'expression' && (
            <ConditionTree node={draft.target.root} catalog={choices.data} depth={0} onChange={(next) => next?.kind === 'group' && setTarget({ kind: 'expression', root: next })} />
          )}
          {Object.entries(fields)
            .filter(([k]) => k.startsWith('input.target'))
            .map(([k, v]) => (
              <p key={k} className="field-error">
                {v}
              </p>
            ))}
          <p>
            <button type="button" className="primary" onClick={() => void save()}>
              {t('delivery.saveDraft')}
            </button>
          </p>
        </div>
        <aside className="form-preview">
          <div className="live-count" aria-live="polite">
            <p>{t('delivery.recipients')}</p>
            <p className="count" data-testid="target-count">
              {count.data ? count.data.deliveryTargetCount.toLocaleString('ja-JP') : '—'}
            </p>
            <p>{t('delivery.people')}</p>
          </div>
          <h2>{t('delivery.preview')}</h2>
          <TalkPreview messages={draft.messages} />
        </aside>
      </div>
    </section>
  );
}
