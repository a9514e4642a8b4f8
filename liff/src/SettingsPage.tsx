import { useEffect, useRef, useState } from 'react';
import { ApiError, request } from './api';
import { CloseButton, FieldMessage, useFocusFirstError } from './feedback';
import { choose, coveredByParent, descendantCount, normalised, questionOf } from './form';
import { graphql } from './gql';
import { t } from './messages';

const FormQuery = graphql(`
  query RegistrationPage {
    registrationForm {
      attributes { id name kind control helpText required options { id label } }
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
  // Messages by question (`attr-<id>`, `categories`); the rest go next to the button.
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [refused, setRefused] = useState(0);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstError(form, refused);

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

  const registered = data.mySettings.registered;
  const attributes = data.registrationForm.attributes;
  const categories = data.registrationForm.categories;

  const save = async () => {
    setBusy(true);
    setStatus(null);
    setErrors({});
    setFormErrors([]);
    const sentOptions = normalised(options);
    try {
      await request(SaveMutation, {
        input: {
          optionIds: sentOptions,
          nodeIds: normalised(nodes),
          birthYear: birthYear.trim() === '' ? null : Number(birthYear),
          freeText: Object.entries(free).map(([attributeId, text]) => ({ attributeId: Number(attributeId), text })),
        },
      });
      setStatus({ kind: 'ok', text: registered ? t.changed : t.saved });
      setData({ ...data, mySettings: { ...data.mySettings, registered: true } });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'NOT_FOUND') setStatus({ kind: 'error', text: t.notFriend });
      else if (e instanceof ApiError && e.code === 'BAD_USER_INPUT') {
        const at: Record<string, string> = {};
        const rest: string[] = [];
        for (const f of e.fields) {
          const q = questionOf(f.field, attributes, sentOptions);
          if (q) at[q] = at[q] ? `${at[q]} ${f.message}` : f.message;
          else rest.push(f.message);
        }
        setErrors(at);
        setFormErrors(rest);
        setStatus({ kind: 'error', text: t.fixErrors });
        setRefused((n) => n + 1);
      } else setStatus({ kind: 'error', text: t.error });
    } finally {
      setBusy(false);
    }
  };

  // The props a question's controls carry when it has a message.
  const invalid = (key: string) => (errors[key] ? { 'aria-invalid': true as const, 'aria-describedby': `${key}-error` } : {});
  const group = (key: string) => (errors[key] ? { 'data-invalid': true, 'aria-describedby': `${key}-error` } : {});

  const tree = (parent: number | null) => {
    const items = categories.filter((c) => c.parentId === parent);
    if (items.length === 0) return null;
    return (
      <ul className="tree">
        {items.map((c) => {
          // A ticked parent sends everything under it: its children show as included.
          const included = coveredByParent(c.id, nodes, categories);
          const ticked = nodes.includes(c.id);
          const below = descendantCount(c.id, categories);
          return (
            <li key={c.id}>
              <label className="choice">
                <input
                  type="checkbox"
                  checked={ticked || included}
                  disabled={included}
                  aria-describedby={ticked && below > 0 ? `node-${c.id}-includes` : undefined}
                  onChange={(e) => setNodes(e.target.checked ? [...nodes, c.id] : nodes.filter((n) => n !== c.id))}
                />
                {c.name}
              </label>
              {ticked && below > 0 && (
                <p className="help included" id={`node-${c.id}-includes`}>
                  {t.includesChildren(below)}
                </p>
              )}
              {tree(c.id)}
            </li>
          );
        })}
      </ul>
    );
  };

  return (
    <main className="page">
      <h1>{t.title}</h1>
      <p>{t.intro}</p>
      <form
        ref={form}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {attributes.map((a) => {
          const key = `attr-${a.id}`;
          return (
            <fieldset key={a.id} {...group(key)}>
              <legend>
                {a.name} <span className={a.required ? 'required' : 'optional'}>{a.required ? t.required : t.optional}</span>
              </legend>
              {a.helpText && <p className="help">{a.helpText}</p>}
              {a.control === 'YEAR' && (
                <label className="choice">
                  {t.birthYear}
                  <input type="number" inputMode="numeric" min={1900} max={2100} value={birthYear} onChange={(e) => setBirthYear(e.target.value)} {...invalid(key)} />
                </label>
              )}
              {a.control === 'TEXT' && <textarea aria-label={a.name} maxLength={500} value={free[a.id] ?? ''} onChange={(e) => setFree({ ...free, [a.id]: e.target.value })} {...invalid(key)} />}
              {a.control === 'SELECT' && (
                <select aria-label={a.name} value={a.options.find((o) => options.includes(o.id))?.id ?? ''} onChange={(e) => setOptions(choose(options, a, e.target.value === '' ? null : Number(e.target.value)))} {...invalid(key)}>
                  <option value="">{t.select}</option>
                  {a.options.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.label}
                    </option>
                  ))}
                </select>
              )}
              {a.control === 'RADIO' &&
                a.options.map((o) => (
                  <label key={o.id} className="choice">
                    <input type="radio" name={`attr-${a.id}`} checked={options.includes(o.id)} onChange={() => setOptions(choose(options, a, o.id))} />
                    {o.label}
                  </label>
                ))}
              {a.control === 'CHECKBOXES' &&
                a.options.map((o) => (
                  <label key={o.id} className="choice">
                    <input type="checkbox" checked={options.includes(o.id)} onChange={(e) => setOptions(choose(options, a, o.id, e.target.checked))} />
                    {o.label}
                  </label>
                ))}
              <FieldMessage id={`${key}-error`} message={errors[key]} />
            </fieldset>
          );
        })}
        {categories.length > 0 && (
          <fieldset {...group('categories')}>
            <legend>{t.categories}</legend>
            <p className="help">{t.categoriesHelp}</p>
            {tree(null)}
            <FieldMessage id="categories-error" message={errors.categories} />
          </fieldset>
        )}
        {status && (
          <p role={status.kind === 'error' ? 'alert' : 'status'} className={status.kind}>
            {status.text}
          </p>
        )}
        {formErrors.map((m) => (
          <p key={m} className="error">
            {m}
          </p>
        ))}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? (registered ? t.changing : t.saving) : registered ? t.change : t.save}
        </button>
        {status?.kind === 'ok' && <CloseButton />}
      </form>
      {registered && (
        <p>
          <a href="/liff/withdraw">{t.withdrawLink}</a>
        </p>
      )}
    </main>
  );
}
