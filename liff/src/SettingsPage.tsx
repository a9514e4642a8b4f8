import { useEffect, useState } from 'react';
import { ApiError, request } from './api';
import { choose, isSingle } from './form';
import { graphql } from './gql';
import { t } from './messages';

const FormQuery = graphql(`
  query RegistrationPage {
    registrationForm {
      attributes { id name kind helpText required options { id label } }
      categories { id parentId name level }
    }
    mySettings { registered optionIds nodeIds birthYear freeText { attributeId text } }
  }
`);

const SaveMutation = graphql(`
  mutation SaveMySettings($input: MySettingsInput!) {
    saveMySettings(input: $input) { registered }
  }
`);

type Data = Awaited<ReturnType<typeof load>>;
const load = () => request(FormQuery);

export function SettingsPage() {
  const [data, setData] = useState<Data | null>(null);
  const [options, setOptions] = useState<number[]>([]);
  const [nodes, setNodes] = useState<number[]>([]);
  const [birthYear, setBirthYear] = useState('');
  const [free, setFree] = useState<Record<number, string>>({});
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [fieldErrors, setFieldErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    load()
      .then((d) => {
        setData(d);
        setOptions(d.mySettings.optionIds);
        setNodes(d.mySettings.nodeIds);
        setBirthYear(d.mySettings.birthYear?.toString() ?? '');
        setFree(Object.fromEntries(d.mySettings.freeText.map((f) => [f.attributeId, f.text])));
      })
      .catch((e) => setStatus({ kind: 'error', text: e instanceof ApiError && e.code === 'UNAUTHENTICATED' ? t.authError : t.error }));
  }, []);

  if (!data) return <main className="page">{status ? <p role="alert" className="error">{status.text}</p> : <p role="status">{t.loading}</p>}</main>;

  const save = async () => {
    setBusy(true);
    setStatus(null);
    setFieldErrors([]);
    try {
      await request(SaveMutation, {
        input: {
          optionIds: options,
          nodeIds: nodes,
          birthYear: birthYear.trim() === '' ? null : Number(birthYear),
          freeText: Object.entries(free).map(([attributeId, text]) => ({ attributeId: Number(attributeId), text })),
        },
      });
      setStatus({ kind: 'ok', text: t.saved });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'NOT_FOUND') setStatus({ kind: 'error', text: t.notFriend });
      else if (e instanceof ApiError && e.code === 'BAD_USER_INPUT') {
        setStatus({ kind: 'error', text: t.fixErrors });
        setFieldErrors(e.fields.map((f) => f.message));
      } else setStatus({ kind: 'error', text: t.error });
    } finally {
      setBusy(false);
    }
  };

  const children = (parent: number | null) => data.registrationForm.categories.filter((c) => c.parentId === parent);
  const tree = (parent: number | null) => {
    const items = children(parent);
    if (items.length === 0) return null;
    return (
      <ul className="tree">
        {items.map((c) => (
          <li key={c.id}>
            <label className="choice">
              <input type="checkbox" checked={nodes.includes(c.id)} onChange={(e) => setNodes(e.target.checked ? [...nodes, c.id] : nodes.filter((n) => n !== c.id))} />
              {c.name}
            </label>
            {tree(c.id)}
          </li>
        ))}
      </ul>
    );
  };

  return (
    <main className="page">
      <h1>{t.title}</h1>
      <p>{t.intro}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {data.registrationForm.attributes.map((a) => (
          <fieldset key={a.id}>
            <legend>
              {a.name} <span className={a.required ? 'required' : 'optional'}>{a.required ? t.required : t.optional}</span>
            </legend>
            {a.helpText && <p className="help">{a.helpText}</p>}
            {a.kind === 'BIRTH_YEAR' && (
              <label className="choice">
                {t.birthYear}
                <input type="number" inputMode="numeric" min={1900} max={2100} value={birthYear} onChange={(e) => setBirthYear(e.target.value)} aria-label={a.name} />
              </label>
            )}
            {a.kind === 'FREE_TEXT' && <textarea aria-label={a.name} maxLength={500} value={free[a.id] ?? ''} onChange={(e) => setFree({ ...free, [a.id]: e.target.value })} />}
            {isSingle(a.kind) && a.options.length > 8 && (
              <select aria-label={a.name} value={a.options.find((o) => options.includes(o.id))?.id ?? ''} onChange={(e) => setOptions(choose(options, a, e.target.value === '' ? null : Number(e.target.value)))}>
                <option value="">{t.select}</option>
                {a.options.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.label}
                  </option>
                ))}
              </select>
            )}
            {isSingle(a.kind) &&
              a.options.length <= 8 &&
              a.options.map((o) => (
                <label key={o.id} className="choice">
                  <input type="radio" name={`attr-${a.id}`} checked={options.includes(o.id)} onChange={() => setOptions(choose(options, a, o.id))} />
                  {o.label}
                </label>
              ))}
            {(a.kind === 'MULTIPLE' || a.kind === 'REGIONS') &&
              a.options.map((o) => (
                <label key={o.id} className="choice">
                  <input type="checkbox" checked={options.includes(o.id)} onChange={(e) => setOptions(choose(options, a, o.id, e.target.checked))} />
                  {o.label}
                </label>
              ))}
          </fieldset>
        ))}
        {data.registrationForm.categories.length > 0 && (
          <fieldset>
            <legend>{t.categories}</legend>
            <p className="help">{t.categoriesHelp}</p>
            {tree(null)}
          </fieldset>
        )}
        {status && (
          <p role={status.kind === 'error' ? 'alert' : 'status'} className={status.kind}>
            {status.text}
          </p>
        )}
        {fieldErrors.map((m) => (
          <p key={m} className="error">
            {m}
          </p>
        ))}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t.saving : t.save}
        </button>
      </form>
      <p>
        <a href="/liff/withdraw">{t.withdrawLink}</a>
      </p>
    </main>
  );
}
