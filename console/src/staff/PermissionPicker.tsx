import { useTranslation } from 'react-i18next';
import { applyPreset, groupPermissions, type PermissionInfo } from './permissions';

type Preset = { key: string; label: string; permissions: string[] };

export function PermissionPicker({
  catalogue,
  presets,
  value,
  onChange,
  error,
}: {
  catalogue: PermissionInfo[];
  presets: Preset[];
  value: string[];
  onChange: (v: string[]) => void;
  error?: string | undefined;
}) {
  const { t } = useTranslation();
  const toggle = (name: string) => onChange(value.includes(name) ? value.filter((v) => v !== name) : [...value, name]);
  return (
    <fieldset className="permissions">
      <legend>{t('staff.permissions')}</legend>
      <label>
        {t('staff.preset')}{' '}
        <select
          value=""
          onChange={(e) => {
            const p = presets.find((x) => x.key === e.target.value);
            if (p) onChange(applyPreset(value, p.permissions));
          }}
        >
          <option value="">{t('staff.presetNone')}</option>
          {presets.map((p) => (
            <option key={p.key} value={p.key}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      {groupPermissions(catalogue).map(([group, items]) => (
        <fieldset key={group} className="permission-group">
          <legend>{group}</legend>
          {items.map((p) => (
            <label key={p.name} className="check">
              <input type="checkbox" name="permission" value={p.name} checked={value.includes(p.name)} onChange={() => toggle(p.name)} />
              <span>
                {p.description} <code>{p.name}</code>
                {p.requiresSecondFactor && <span className="badge">{t('staff.secondFactor')}</span>}
                {p.available === false && <span className="badge badge-muted">{t('staff.notYetAvailable')}</span>}
              </span>
            </label>
          ))}
        </fieldset>
      ))}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
