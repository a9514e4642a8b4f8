import { ReasonedExport } from '../ui/ReasonedExport';

/**
 * 受信設定のCSV出力 (seed 2.4(4)ク): residents' settings with their LINE user
 * ids, so it needs `friend.export` and a second factor; the server audits
 * every export with the reason given here.
 */
export function SettingsExport({ segmentId }: { segmentId: number | null }) {
  return (
    <ReasonedExport
      endpoint="/exports/friend-settings.csv"
      params={segmentId === null ? {} : { segmentId: String(segmentId) }}
      fallbackName="friend-settings.csv"
      texts="friends"
    />
  );
}

