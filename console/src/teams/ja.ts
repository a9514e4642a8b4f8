// This feature's Japanese texts (merged into the console's catalogue in main.tsx).
export const ja = {
  teams: {
    title: 'チーム管理',
    name: 'チーム名',
    description: '説明',
    members: '所属人数',
    new: '新しいチーム',
    created: 'チームを作成しました',
    confirmDelete: 'チーム「{{name}}」を削除しますか？',
    deleted: 'チームを削除しました',
    approval: '配信の承認',
    requireApproval: '配信の承認を必須にする',
    approvalOn: '「{{name}}」の配信は、送信前に別の職員の承認が必要になりました',
    approvalOff: '「{{name}}」の配信は承認なしで送信できます',
    actions: '操作',
  },
} as const;
