import { useTranslation } from 'react-i18next';

/** The ids with the one at `from` moved to `to`: what a reorder mutation takes. */
export function moved<T>(ids: readonly T[], from: number, to: number): T[] {
  const out = [...ids];
  const [item] = out.splice(from, 1);
  if (item !== undefined) out.splice(to, 0, item);
  return out;
}

type Props = { name: string; index: number; count: number; onMove: (to: number) => void };

/** 上へ / 下へ for one entry of an ordered list (keyboard- and screen-reader-friendly, unlike dragging). */
export function MoveButtons({ name, index, count, onMove }: Props) {
  const { t } = useTranslation();
  return (
    <>
      <button type="button" aria-label={t('common.moveUpOf', { name })} disabled={index === 0} onClick={() => onMove(index - 1)}>
        {t('common.moveUp')}
      </button>{' '}
      <button type="button" aria-label={t('common.moveDownOf', { name })} disabled={index === count - 1} onClick={() => onMove(index + 1)}>
        {t('common.moveDown')}
      </button>
    </>
  );
}
