import { useState } from 'react';
import { useTranslation } from 'react-i18next';

type Props = { current: string; what: string; onRename: (name: string) => Promise<unknown> };

/** A 名前を変更 button that turns into an input in place; Escape or キャンセル leaves the name as it was. */
export function InlineRename({ current, what, onRename }: Props) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState(false);
  if (!editing) {
    return (
      <button type="button" aria-label={t('common.renameOf', { name: what })} onClick={() => setEditing(true)}>
        {t('common.rename')}
      </button>
    );
  }
  return <RenameInput current={current} what={what} onRename={onRename} onDone={() => setEditing(false)} />;
}

/** The input of a rename, for a row that starts it from elsewhere (an action menu). */
export function RenameInput({ current, what, onRename, onDone }: Props & { onDone: () => void }) {
  const { t } = useTranslation();
  const [value, setValue] = useState(current);
  const save = async () => {
    await onRename(value.trim());
    onDone();
  };
  return (
    <span className="inline-rename">
      <input
        aria-label={t('common.newNameOf', { name: what })}
        value={value}
        autoFocus
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onDone();
          if (e.key === 'Enter') {
            e.preventDefault();
            void save();
          }
        }}
      />{' '}
      <button type="button" className="primary" onClick={() => void save()}>
        {t('common.save')}
      </button>{' '}
      <button type="button" onClick={onDone}>
        {t('common.cancel')}
      </button>
    </span>
  );
}
