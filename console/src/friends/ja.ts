// This feature's Japanese texts (merged into the console's catalogue in main.tsx).
export const ja = {
  friends: {
    exportTitle: '受信設定のCSV出力',
    exportHelp: '内部IDとLINEユーザーIDを含む個人情報です。出力は理由とともに操作ログに記録されます（友だち情報の出力権限と二要素認証が必要です）。',
    exportReason: '出力の理由',
    export: 'CSVで出力',
    exportProgressLabel: '出力の進み具合',
    exportProgress: '{{rows}} / {{total}} 件',
    exportDone: '{{rows}}件を出力しました',
    exportForbidden: '出力する権限がありません。友だち情報の出力権限と、二要素認証でのサインインが必要です。',
    exportFailed: '出力に失敗しました。時間をおいてもう一度お試しください。',
    title: '友だち一覧',
    help: '個人情報は表示されません（内部IDと日時のみ）。',
    segment: 'セグメントで絞り込む',
    all: 'すべての友だち',
    id: '内部ID',
    status: '状態',
    following: '友だち',
    blocked: 'ブロック',
    followedAt: '友だち追加日時',
    blockedAt: 'ブロック日時',
  },
} as const;
