import { useTranslation } from 'react-i18next';
import type { FormControl } from '../gql/graphql';

export type DraftItem = { attributeId: number; required: boolean; helpText: string };

type Attribute = { id: number; name: string; control: FormControl; helpText: string; options: { id: number; label: string; archived: boolean }[] };
type TreeNode = { id: number; parentId?: number | null; name: string };


/**
 * The registration form as a resident will see it on the phone, drawn from
 * the draft (not the published version) so staff see each change at once.
 * Inputs are inert: this is a picture, not a second form.
 */
export function FormPreview({ items, roots, attributes, tree }: { items: DraftItem[]; roots: number[]; attributes: Attribute[]; tree: TreeNode[] }) {
  const { t } = useTranslation();
  const subtree = (parent: number) => {
    const children = tree.filter((n) => n.parentId === parent);
    return children.length === 0 ? null : (
      <ul>
        {children.map((n) => (
          <li key={n.id}>
            <label className="check">
              <input type="checkbox" disabled />
              <span>{n.name}</span>
            </label>
            {subtree(n.id)}
          </li>
        ))}
      </ul>
    );
  };
  return (
    <div className="phone" data-testid="form-preview">
      <h3>{t('forms.previewTitle')}</h3>
      {items.length === 0 && <p className="help">{t('forms.previewEmpty')}</p>}
      {items.map((item) => {
        const a = attributes.find((x) => x.id === item.attributeId);
        if (!a) return null;
        const help = item.helpText.trim() || a.helpText;
        const options = a.options.filter((o) => !o.archived);
        return (
          <fieldset key={a.id}>
            <legend>
              {a.name}
              {item.required && <span className="required">{t('common.required')}</span>}
            </legend>
            {help && <p className="help">{help}</p>}
            {/* The control is the server's (FormControl), as on the resident's page. */}
            {a.control === 'YEAR' && <input disabled aria-label={`${a.name} ${t('forms.yearPlaceholder')}`} placeholder={t('forms.yearPlaceholder')} />}
            {a.control === 'TEXT' && <textarea disabled aria-label={a.name} rows={2} />}
            {a.control === 'SELECT' && (
              <select disabled aria-label={a.name} data-testid={`preview-select-${a.name}`}>
                <option>{t('forms.choose')}</option>
                {options.map((o) => (
                  <option key={o.id}>{o.label}</option>
                ))}
              </select>
            )}
            {(a.control === 'RADIO' || a.control === 'CHECKBOXES') &&
              options.map((o) => (
                <label key={o.id} className="check">
                  <input type={a.control === 'RADIO' ? 'radio' : 'checkbox'} disabled name={`preview-${a.id}`} />
                  <span>{o.label}</span>
                </label>
              ))}
          </fieldset>
        );
      })}
      {roots.length > 0 && (
        <fieldset>
          <legend>{t('forms.receive')}</legend>
          <ul>
            {tree
              .filter((n) => roots.includes(n.id))
              .map((n) => (
                <li key={n.id}>
                  <label className="check">
                    <input type="checkbox" disabled />
                    <span>{n.name}</span>
                  </label>
                  {subtree(n.id)}
                </li>
              ))}
          </ul>
        </fieldset>
      )}
      <button type="button" className="primary" disabled>
        {t('forms.previewSubmit')}
      </button>
    </div>
  );
}
