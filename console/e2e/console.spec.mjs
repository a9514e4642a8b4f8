// Staff console in Chromium against the real stack: sign-in with TOTP
// enrolment, teams and accounts, exactly-permitted navigation, a refused
// action in Japanese, the audit log with its CSV, and an all-or-nothing CSV import.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { adminEnrolled } from './admin.mjs';
import { ADMIN } from './stack.mjs';
import { freshCode } from './totp.mjs';
import { ARTIFACTS, AuditPage, ImportPage, PasswordPage, Shell, SignInPage, StaffFormPage, StaffListPage, TeamsPage, shot } from './pages/index.mjs';

export async function run({ browser, stack, test }) {
  const admin = await browser.newContext({ acceptDownloads: true, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  const page = await admin.newPage();
  const signIn = new SignInPage(page, stack.base);
  const shell = new Shell(page);
  let bousaiTemp;
  let officerTemp;

  await test('管理者がサインインし、ダッシュボードに友だち数が表示される', async () => {
    await signIn.open();
    await shot(page, '01-signin');
    await signIn.signIn(ADMIN.loginId, 'wrong-password-1A');
    await signIn.error().filter({ hasText: 'ログインIDまたはパスワードが違います' }).waitFor();
    await signIn.signIn(ADMIN.loginId, ADMIN.password);
    // staff.manage needs a second factor: the administrator enrols TOTP at first sign-in.
    await page.getByRole('heading', { name: '二要素認証の設定' }).waitFor();
    const secret = await signIn.totpSecret();
    const code = await freshCode(secret, null);
    await signIn.enterCode(code);
    adminEnrolled(secret, code);
    await page.getByRole('heading', { name: 'ダッシュボード' }).waitFor();
    await page.getByRole('term').filter({ hasText: /^友だち数$/ }).waitFor();
    assert.deepEqual(await shell.navLabels(), ['ダッシュボード', '職員アカウント管理', 'チーム管理', 'サービスアカウント', '友だち一覧', '属性・受信項目', '登録フォーム', 'セグメント', '配信', 'FAQ', 'シナリオ', '応答統計', 'リッチメニュー', 'メール配信ルール', 'カード利用者', '操作ログ']);
    await shot(page, '02-dashboard');
  });

  await test('チームを作成する', async () => {
    await shell.go('チーム管理');
    const teams = new TeamsPage(page);
    await teams.create('防災課', '防災・危機管理');
    await teams.row('防災課').waitFor();
    // Renamed in place, and a team's deliveries can be made to need approval.
    await teams.create('広報課', '広報');
    await teams.row('広報課').getByRole('button', { name: '広報課 の名前を変更' }).click();
    await page.getByLabel('広報課 の新しい名前').fill('広報広聴課');
    await page.getByLabel('広報課 の新しい名前').press('Enter');
    const renamed = teams.row('広報広聴課');
    // The box follows the server: it shows ticked once the setting is saved.
    await renamed.getByRole('checkbox', { name: '配信の承認を必須にする' }).click();
    await page.getByText('「広報広聴課」の配信は、送信前に別の職員の承認が必要になりました').waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('tr')].some((r) => r.textContent.includes('広報広聴課') && r.querySelector('input[type="checkbox"]')?.checked));
    await page.reload();
    assert.ok(await teams.row('広報広聴課').getByRole('checkbox', { name: '配信の承認を必須にする' }).isChecked());
    await shot(page, '03-teams');
  });

  await test('権限を限定したアカウントを作成する', async () => {
    await shell.go('職員アカウント管理');
    await new StaffListPage(page).newAccount();
    const form = new StaffFormPage(page);
    // Capabilities not built yet are marked as such in the permission picker.
    await page.getByText('準備中（機能の提供後に有効になります）').first().waitFor();
    // A bad login id first: the field shows the API's Japanese message.
    await form.fill({ loginId: 'x', displayName: '防災 太郎', team: '防災課', permissions: ['audit.read'] });
    await form.submit();
    await page.getByText('ログインIDは3〜64文字で入力してください').first().waitFor();
    await page.getByLabel('ログインID').fill('bousai01');
    await form.submit();
    bousaiTemp = await form.temporaryPassword();
    // The password names whom it belongs to and copies in one click; the form is ready for the next account.
    await page.getByText('bousai01 の仮パスワード').waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'ログインID' }).inputValue(), '');
    await admin.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.base });
    await page.getByRole('button', { name: '仮パスワードをコピー' }).click();
    await page.getByText('コピーしました').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), bousaiTemp);
    await shot(page, '04-staff-created');

    await shell.go('職員アカウント管理');
    await new StaffListPage(page).newAccount();
    await form.fill({ loginId: 'card-officer', displayName: 'カード 担当', permissions: ['card.pii.read'] });
    await form.submit();
    officerTemp = await form.temporaryPassword();
  });

  await test('限定アカウントは許可された機能だけを見る', async () => {
    const ctx = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
    const p = await ctx.newPage();
    const s = new SignInPage(p, stack.base);
    await s.open();
    await s.signIn('bousai01', bousaiTemp);
    // A temporary password must be changed first.
    await p.getByText('仮パスワードでサインインしています').waitFor();
    await shot(p, '05-password-change');
    await new PasswordPage(p).change(bousaiTemp, 'Kumagaya-Heat-2026');
    await p.getByRole('heading', { name: 'ダッシュボード' }).waitFor();
    const sh = new Shell(p);
    assert.deepEqual(await sh.navLabels(), ['ダッシュボード', '操作ログ']);
    assert.match(await sh.account().textContent(), /防災 太郎（防災課）/);
    await shot(p, '06-limited-dashboard');

    // A page outside the permissions says so in Japanese.
    await p.goto(`${stack.base}/console/staff`);
    await p.getByText('この操作を行う権限がありません。').waitFor();

    // The server refuses too: permission removed while the page is open.
    await sh.go('操作ログ');
    await p.getByRole('heading', { name: '操作ログ' }).waitFor();
    await shell.go('職員アカウント管理');
    const list = new StaffListPage(page);
    await list.search('bousai01');
    await page.getByRole('link', { name: 'bousai01' }).click();
    await page.locator('input[name="permission"][value="audit.read"]:checked').waitFor();
    await page.locator('input[name="permission"][value="audit.read"]').uncheck();
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('保存しました').waitFor();
    await new AuditPage(p).filterAction('staff.');
    await p.getByText('権限がありません（audit.read）').waitFor();
    await shot(p, '07-forbidden');
    await ctx.close();
  });

  await test('二要素認証を設定してサインインし、次回は確認コードを求められる', async () => {
    const ctx = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
    const p = await ctx.newPage();
    const s = new SignInPage(p, stack.base);
    await s.open();
    await s.signIn('card-officer', officerTemp);
    await p.getByRole('heading', { name: '二要素認証の設定' }).waitFor();
    await p.getByRole('img', { name: '認証アプリ用のQRコード' }).waitFor();
    await shot(p, '08-totp-enrolment');
    const secret = await s.totpSecret();
    const first = await freshCode(secret, null);
    await s.enterCode(first);
    await new PasswordPage(p).change(officerTemp, 'Tokorozawa-Lake-2026');
    await p.getByRole('heading', { name: 'ダッシュボード' }).waitFor();
    await new Shell(p).signOut();

    await s.signIn('card-officer', 'Tokorozawa-Lake-2026');
    await p.getByRole('heading', { name: '確認コードの入力' }).waitFor();
    await s.enterCode('000000');
    await s.error().filter({ hasText: '確認コードが正しくありません' }).waitFor();
    await shot(p, '09-totp-required');
    await s.enterCode(await freshCode(secret, first));
    await p.getByRole('heading', { name: 'ダッシュボード' }).waitFor();
    await ctx.close();
  });

  await test('操作ログにこれまでの操作が記録され、CSVで出力できる', async () => {
    await shell.go('操作ログ');
    const audit = new AuditPage(page);
    await audit.rows().first().waitFor();
    const all = await page.locator('table.audit').textContent();
    for (const action of ['staff.team.create', 'staff.account.create', 'staff.account.update', 'staff.login', 'staff.totp.enrol', 'staff.password.change']) {
      assert.ok(all.includes(action), `audit log shows ${action}`);
    }
    await audit.filterAction('staff.account.create');
    // Wait for the filtered page itself (an empty table in between would pass vacuously).
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('table.audit tbody tr')];
      return rows.length > 0 && rows.every((r) => r.textContent.includes('staff.account.create'));
    });
    // The administrator (created from the shell) and the two accounts created here.
    assert.equal(await audit.rows().count(), 3);
    await shot(page, '10-audit-log');
    const download = await audit.downloadCsv();
    const file = path.join(ARTIFACTS, 'audit-log.csv');
    await download.saveAs(file);
    const csv = readFileSync(file);
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel');
    const text = csv.toString('utf8');
    assert.ok(text.includes('\r\n'), 'CRLF line ends');
    assert.ok(text.includes('日時(JST)'));
    assert.equal(text.trim().split('\r\n').length, 4, 'header and the three filtered rows');
    // What was done reads in Japanese, in the page and in the file.
    assert.ok(text.includes('ログインID：bousai01'), 'details in Japanese in the CSV');
    await page.getByText(/ログインID：bousai01/).first().waitFor();
  });

  await test('CSV一括登録：誤りが1行でもあれば何も登録されない', async () => {
    await shell.go('職員アカウント管理');
    const list = new StaffListPage(page);
    await list.search('');
    const before = await page.getByText(/全\d+件/).textContent();
    await list.openImport();
    const file = path.join(ARTIFACTS, 'import.csv');
    writeFileSync(file, '\ufeffログインID,氏名,所属チーム,権限\r\nkawaguchi01,川口 一郎,防災課,audit.read\r\nb a d,誤り 太郎,防災課,audit.read\r\n');
    const imp = new ImportPage(page);
    await imp.preview(file);
    await page.getByText('1件の誤りがあります').waitFor();
    assert.equal(await imp.errorRows().count(), 1);
    assert.ok(await imp.applyButton().isDisabled(), 'nothing can be imported');
    await shot(page, '11-import-preview');
    await shell.go('職員アカウント管理');
    await list.search('');
    assert.equal(await page.getByText(/全\d+件/).textContent(), before, 'no account was created');
  });

  await admin.close();
}
