import { useEffect, useRef, useState } from 'react';
import { ApiError, request } from './api';
import { type CardDraft, MAX_CHILDREN, RELATIONS, draftFrom, emptyDraft, missingFields, toInput } from './card';
import { CloseButton, FieldMessage, useFocusFirstError } from './feedback';
import { CardQuery } from './CardPage';
import { graphql } from './gql';
import { c, t } from './messages';

const SaveCard = graphql(`
  mutation SavePapaMamaCard($input: CardInput!) {
    savePapaMamaCard(input: $input) { registered eligible }
  }
`);

const DeleteCard = graphql(`
  mutation DeletePapaMamaCard {
    deletePapaMamaCard { certificateId erasedAt }
  }
`);

type FieldErrors = Record<string, string>;

function Field({ id, label, error, required, help, children }: { id: string; label: string; error?: string; required?: boolean; help?: string; children: React.ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>
        {label} {required ? <span className="required">{t.required}</span> : <span className="optional">{t.optional}</span>}
      </label>
      {help && <p className="help" id={`${id}-help`}>{help}</p>}
      {children}
      <FieldMessage id={`${id}-error`} message={error} />
    </div>
  );
}

/** Registration and changes (seed 2.6(2)イ, ウ); deleting everything too. */
export function CardEditPage() {
  const [draft, setDraft] = useState<CardDraft | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [deleted, setDeleted] = useState(false);
  const [registered, setRegistered] = useState(false);
  const [refused, setRefused] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstError(form, refused);

  useEffect(() => {
    request(CardQuery)
      .then((d) => {
        setRegistered(d.papaMamaCard.registered);
        setDraft(d.papaMamaCard.registered ? draftFrom(d.papaMamaCard) : emptyDraft());
      })
      .catch((e) => setStatus({ kind: 'error', text: e instanceof ApiError && e.code === 'UNAUTHENTICATED' ? t.authError : t.error }));
  }, []);

  if (deleted)
    return (
      <main className="page">
        <h1>{c.deleteTitle}</h1>
        <p role="status" className="ok">{c.deleted}</p>
      </main>
    );
  if (!draft) return <main className="page">{status ? <p role="alert" className="error">{status.text}</p> : <p role="status">{t.loading}</p>}</main>;

  const set = (patch: Partial<CardDraft>) => setDraft({ ...draft, ...patch });
  const setChild = (i: number, patch: Partial<CardDraft['children'][number]>) =>
    set({ children: draft.children.map((ch, j) => (j === i ? { ...ch, ...patch } : ch)) });
  const err = (field: string) => errors[field];
  const described = (id: string, field: string) => (err(field) ? `${id}-error` : undefined);

  const save = async () => {
    setStatus(null);
    const missing = missingFields(draft);
    if (missing.length > 0) {
      setErrors(Object.fromEntries(missing.map((m) => [m.field, m.message])));
      setStatus({ kind: 'error', text: t.fixErrors });
      setRefused((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      await request(SaveCard, { input: toInput(draft) });
      setErrors({});
      setStatus({ kind: 'ok', text: registered ? c.changed : c.saved });
      setRegistered(true);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'BAD_USER_INPUT') {
        setErrors(Object.fromEntries(e.fields.map((f) => [f.field.replace(/^input\./, ''), f.message])));
        setStatus({ kind: 'error', text: t.fixErrors });
        setRefused((n) => n + 1);
      } else setStatus({ kind: 'error', text: t.error });
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!window.confirm(c.deleteConfirm)) return;
    try {
      await request(DeleteCard);
      setDeleted(true);
    } catch {
      setStatus({ kind: 'error', text: t.error });
    }
  };

  return (
    <main className="page">
      <h1>{c.editTitle}</h1>
      <p>{c.editLead}</p>
      <form
        ref={form}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field id="holderName" label={c.holderName} required help={c.holderNameHelp} error={err('holderName')}>
          <input id="holderName" type="text" autoComplete="name" value={draft.holderName} aria-invalid={!!err('holderName')} aria-describedby={described('holderName', 'holderName')} onChange={(e) => set({ holderName: e.target.value })} />
        </Field>
        <Field id="relation" label={c.relation} required help={c.relationHelp} error={err('relation')}>
          <select id="relation" value={draft.relation} aria-invalid={!!err('relation')} aria-describedby={described('relation', 'relation')} onChange={(e) => set({ relation: e.target.value })}>
            <option value="" disabled>
              {t.select}
            </option>
            {[...RELATIONS, 'その他'].map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          {draft.relation === 'その他' && (
            <input aria-label={c.relationOther} type="text" value={draft.relationOther} aria-invalid={!!err('relation')} aria-describedby={described('relation', 'relation')} onChange={(e) => set({ relationOther: e.target.value })} />
          )}
        </Field>
        {draft.children.map((ch, i) => (
          <fieldset key={i}>
            <legend>
              {c.child(i + 1)} {i === 0 && !draft.pregnant ? <span className="required">{t.required}</span> : <span className="optional">{t.optional}</span>}
            </legend>
            <Field id={`child-${i}-name`} label={c.childName} required={i === 0 && !draft.pregnant} error={err(`children[${i}].name`)}>
              <input id={`child-${i}-name`} type="text" value={ch.name} aria-invalid={!!err(`children[${i}].name`)} aria-describedby={described(`child-${i}-name`, `children[${i}].name`)} onChange={(e) => setChild(i, { name: e.target.value })} />
            </Field>
            <Field id={`child-${i}-birth`} label={c.birthDate} required={i === 0 && !draft.pregnant} error={err(`children[${i}].birthDate`)}>
              <input id={`child-${i}-birth`} type="date" value={ch.birthDate} aria-invalid={!!err(`children[${i}].birthDate`)} aria-describedby={described(`child-${i}-birth`, `children[${i}].birthDate`)} onChange={(e) => setChild(i, { birthDate: e.target.value })} />
            </Field>
            {i > 0 && (
              <button type="button" className="small" onClick={() => set({ children: draft.children.filter((_, j) => j !== i) })}>
                {c.removeChild}
              </button>
            )}
          </fieldset>
        ))}
        {draft.children.length < MAX_CHILDREN && (
          <button type="button" onClick={() => set({ children: [...draft.children, { name: '', birthDate: '' }] })}>
            {c.addChild}
          </button>
        )}
        <fieldset>
          <legend>{c.pregnant}</legend>
          <label className="choice">
            <input type="checkbox" checked={draft.pregnant} onChange={(e) => set({ pregnant: e.target.checked })} />
            {c.pregnant}
          </label>
          {draft.pregnant && (
            <Field id="expectedDate" label={c.expectedDate} required error={err('expectedDate')}>
              <input id="expectedDate" type="date" value={draft.expectedDate} aria-invalid={!!err('expectedDate')} aria-describedby={described('expectedDate', 'expectedDate')} onChange={(e) => set({ expectedDate: e.target.value })} />
            </Field>
          )}
        </fieldset>
        <fieldset>
          <legend>{c.grandparent}</legend>
          <label className="choice">
            <input type="checkbox" checked={draft.grandparent} onChange={(e) => set({ grandparent: e.target.checked })} />
            {c.isGrandparent}
          </label>
        </fieldset>
        {status && (
          <p role={status.kind === 'ok' ? 'status' : 'alert'} className={status.kind}>
            {status.text}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? (registered ? t.changing : t.saving) : registered ? c.change : c.save}
        </button>
      </form>
      {status?.kind === 'ok' && (
        <div className="after-save">
          <a className="button primary" href="/liff/card">
            {c.toCard}
          </a>
          <CloseButton />
        </div>
      )}
      {registered && (
        <section className="danger-zone">
          <h2>{c.deleteTitle}</h2>
          <p>{c.deleteText}</p>
          <button type="button" className="danger" onClick={() => void remove()}>
            {c.deleteButton}
          </button>
        </section>
      )}
    </main>
  );
}
