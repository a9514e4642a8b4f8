// This feature's Japanese texts (merged into the console's catalogue in main.tsx).
export const ja = {
  audit: {
    title: '操作ログ',
    actor: '操作者',
    action: '操作',
    target: '対象',
    targetKind: '対象の種類',
    targetId: '対象ID',
    from: '開始日',
    to: '終了日',
    time: '日時',
    result: '結果',
    summary: '内容',
    ip: 'IPアドレス',
    filter: '絞り込む',
    csv: 'CSVで出力',
    results: { success: '成功', failure: '失敗', denied: '拒否' },
  },
} as const;
