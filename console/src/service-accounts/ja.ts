// This feature's Japanese texts (merged into the console's catalogue in main.tsx).
export const ja = {
  serviceAccounts: {
    title: 'サービスアカウント',
    help: '県の他システムがAPIを利用するためのアカウントです。トークンは作成時に一度だけ表示されます。',
    name: '名前',
    description: '説明',
    permissions: '権限',
    hint: 'トークン',
    lastUsed: '最終利用',
    revoked: '失効',
    active: '有効',
    new: '新しいサービスアカウント',
    revoke: '失効させる',
    confirmRevoke: '「{{name}}」のトークンを失効させますか？',
    token: 'APIトークン（この画面でのみ表示されます）：',
  },
} as const;
