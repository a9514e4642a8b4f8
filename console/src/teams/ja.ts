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
  },
} as const;
