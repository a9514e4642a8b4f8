// This feature's Japanese texts (merged into the console's catalogue in main.tsx).
export const ja = {
  signin: {
    title: 'サインイン',
    loginId: 'ログインID',
    password: 'パスワード',
    submit: 'サインイン',
    totpTitle: '確認コードの入力',
    totpHelp: '認証アプリに表示されている6桁の確認コードを入力してください。',
    code: '確認コード',
    verify: '確認',
    enrolTitle: '二要素認証の設定',
    enrolHelp: '個人情報を扱う権限があるため、二要素認証の設定が必要です。認証アプリ（Google Authenticator、Microsoft Authenticator など）で次のQRコードを読み取り、表示された確認コードを入力してください。',
    enrolSecret: 'QRコードを読み取れない場合は次のキーを入力してください',
    qrAlt: '認証アプリ用のQRコード',
    mustChange: '仮パスワードでサインインしています。新しいパスワードを設定してください。',
  },
  password: {
    title: 'パスワード変更',
    current: '現在のパスワード',
    new: '新しいパスワード',
    confirm: '新しいパスワード（確認）',
    mismatch: '確認用のパスワードが一致しません',
    policy: '12文字以上で、英小文字・英大文字・数字・記号のうち3種類以上を含めてください。',
    changed: 'パスワードを変更しました',
  },
  totp: {
    title: '二要素認証の設定',
    done: '二要素認証を設定しました',
  },
} as const;
