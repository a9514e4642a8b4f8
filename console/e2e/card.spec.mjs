// The Papa-Mama card and the Maitama pass: staff set the card image and the
// common barcode and publish the pass; a parent registers two children on a
// phone and opens the card with their names and birth dates on it (live
// clock, barcode); a household whose child is past the age sees no card
// image and why; staff with the personal-data permissions find the holder
// and export the CSV, and both accesses are in the audit log.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PHONE, fake, png, staffApi, staffSession } from './helpers.mjs';
import { ARTIFACTS, Shell, shot } from './pages/index.mjs';

/** Waits for an uploaded image's thumbnail; an error shown instead fails with its text. */
async function thumbnail(page, name) {
  const image = page.getByRole('img', { name });
  const alert = page.getByRole('alert');
  await image.or(alert).first().waitFor();
  if (!(await image.isVisible())) {
    await shot(page, `upload-failed-${name}`);
    assert.fail(`upload of ${name} shows: ${await alert.first().innerText()}`);
  }
}

async function resident(browser, stack, name) {
  const { userId } = await fake(stack, '/_fake/users', { displayName: name });
  await fake(stack, `/_fake/users/${userId}/follow`, {});
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  return { userId, context, page };
}

async function signInWithLine(page, name) {
  await page.getByRole('heading', { name: 'LINEログイン（サンドボックス）' }).waitFor();
  await page.getByRole('link', { name: new RegExp(name) }).click();
}

export async function run({ browser, stack, test }) {
  const gql = await staffApi(stack.base);
  const cardImage = path.join(ARTIFACTS, 'card-image.png');
  writeFileSync(cardImage, png(600, 360));

  await test('職員がパパママカードの画像・注意書き・共通バーコードを設定し、まいたまパスを公開する', async () => {
    const { context, page } = await staffSession(browser, stack, gql, 'kosodate', ['card.settings', 'pass.manage']);
    const shell = new Shell(page);
    await shell.go('パパママカード設定');
    await page.getByRole('heading', { name: 'パパママカード設定' }).waitFor();
    await page.getByLabel('画像を追加').first().setInputFiles(cardImage);
    await thumbnail(page, 'カード画像 1');
    await page.getByLabel('注意書き').fill('協賛店のレジでこの画面を提示してください。');
    await page.getByLabel('共通バーコードの番号（CODE128）').fill('4912345678904');
    await page.getByRole('button', { name: '保存する' }).click();
    await page.getByText('保存しました').waitFor();
    await shot(page, '40-card-settings');
    await shell.go('まいたまパス');
    // Until the new page is there, the settings page's barcode upload also
    // answers to this label.
    await page.getByRole('heading', { name: 'まいたまパス', level: 1 }).waitFor();
    await page.getByLabel('画像を追加').setInputFiles(cardImage);
    await thumbnail(page, 'パスの画像（1〜5枚） 1');
    await page.getByLabel('本文').fill('県内の協賛施設でこの画面を提示すると優待が受けられます。');
    await page.getByRole('button', { name: 'この内容で公開する' }).click();
    await page.getByText('新しい版を公開しました').waitFor();
    await page.getByRole('cell', { name: /公開中の版/ }).waitFor();
    await shot(page, '41-pass-admin');
    await context.close();
  });

  const parent = await resident(browser, stack, '浦和 花子');

  await test('保護者がスマートフォンで子ども2人を登録し、カードに氏名と生年月日が表示される', async () => {
    const { page } = parent;
    await page.goto(`${stack.base}/liff/card`);
    await signInWithLine(page, '浦和 花子');
    await page.getByRole('link', { name: '利用者情報を登録する' }).click();
    await page.getByRole('heading', { name: '利用者情報の登録' }).waitFor();
    await page.getByLabel('カード対象者氏名').fill('浦和 花子');
    // Nothing registered yet: nothing to delete. 祖父母 is its own question.
    assert.equal(await page.getByRole('heading', { name: '登録情報の削除' }).count(), 0);
    await page.getByRole('group', { name: '子育てを支援する祖父母' }).getByRole('checkbox', { name: '子育てを支援している祖父母として登録する' }).waitFor();
    assert.equal(await page.getByRole('group', { name: '妊娠中の方がいる' }).getByRole('checkbox', { name: /祖父母/ }).count(), 0);
    // 続柄 is not chosen for the parent, and the first child is required:
    // saving says so at each field, and the first one gets focus.
    assert.equal(await page.getByLabel('続柄').inputValue(), '');
    await page.getByRole('button', { name: '登録する' }).click();
    await page.getByText('第1子の生年月日を入力してください').waitFor();
    const relation = page.getByLabel('続柄');
    assert.match(await page.locator(`#${await relation.getAttribute('aria-describedby')}`).textContent(), /続柄を選択してください/);
    assert.ok(await relation.evaluate((el) => el === document.activeElement), 'the first error has focus');
    await shot(page, '47-liff-card-errors');
    await relation.selectOption('母');
    await page.locator('#child-0-name').fill('浦和 一郎');
    await page.locator('#child-0-birth').fill('2018-04-02');
    await page.getByRole('button', { name: 'お子さまを追加する（5人まで）' }).click();
    await page.locator('#child-1-name').fill('浦和 二葉');
    await page.locator('#child-1-birth').fill('2021-02-28');
    await shot(page, '42-liff-card-register');
    await page.getByRole('button', { name: '登録する' }).click();
    await page.getByText('登録しました。').waitFor();
    await page.getByRole('button', { name: '閉じる' }).waitFor();
    // Registered: the button now changes, and deleting is offered.
    await page.getByRole('button', { name: '変更する' }).waitFor();
    await page.getByRole('heading', { name: '登録情報の削除' }).waitFor();
    await page.getByRole('link', { name: 'カードを表示する' }).click();
    await page.getByRole('heading', { name: 'パパママ応援ショップ優待カード' }).waitFor();
    // Everything registered is on the card without a tap.
    await page.getByText('浦和 一郎').waitFor();
    await page.getByText('2018年4月2日').waitFor();
    await page.getByText('浦和 二葉').waitFor();
    await page.getByText('2021年2月28日').waitFor();
    assert.match(await page.getByTestId('holder-name').textContent(), /浦和 花子（続柄：母）/);
    await page.getByRole('img', { name: 'パパママ応援ショップ優待カード' }).waitFor();
    await page.getByTestId('barcode').waitFor();
    assert.ok((await page.getByTestId('barcode').locator('rect').count()) > 20, 'the barcode is drawn');
    await page.getByText('協賛店のレジでこの画面を提示してください。').waitFor();
    // The clock ticks: a screenshot would not.
    const first = await page.getByTestId('live-clock').textContent();
    await page.waitForTimeout(1300);
    assert.notEqual(await page.getByTestId('live-clock').textContent(), first);
    await shot(page, '43-liff-card');
  });

  await test('住民はいつでもまいたまパスを表示できる', async () => {
    const { page } = parent;
    await page.goto(`${stack.base}/liff/pass`);
    await page.getByRole('heading', { name: 'まいたまパス' }).waitFor();
    await page.getByRole('img', { name: 'まいたまパス（1枚目）' }).waitFor();
    await page.getByText('県内の協賛施設でこの画面を提示すると優待が受けられます。').waitFor();
    await shot(page, '44-liff-pass');
  });

  await test('対象年齢を過ぎた世帯にはカード画像が表示されず、理由が示される', async () => {
    const other = await resident(browser, stack, '大宮 太郎');
    const { page } = other;
    await page.goto(`${stack.base}/liff/card/edit`);
    await signInWithLine(page, '大宮 太郎');
    await page.getByLabel('カード対象者氏名').fill('大宮 太郎');
    await page.getByLabel('続柄').selectOption('父');
    await page.locator('#child-0-name').fill('大宮 一子');
    await page.locator('#child-0-birth').fill('2007-04-01');
    await page.getByRole('button', { name: '登録する' }).click();
    await page.getByText('登録しました。').waitFor();
    await page.getByRole('link', { name: 'カードを表示する' }).click();
    await page.getByTestId('hidden-reason').waitFor();
    assert.match(await page.getByTestId('hidden-reason').textContent(), /3月31日/);
    assert.equal(await page.getByRole('img', { name: 'パパママ応援ショップ優待カード' }).count(), 0, 'no card image');
    assert.equal(await page.getByTestId('barcode').count(), 0, 'no barcode');
    await shot(page, '45-liff-card-hidden');
    await other.context.close();
  });

  await test('個人情報の権限と二要素認証のある職員が利用者を検索してCSVで出力し、操作ログに残る', async () => {
    const { context, page } = await staffSession(browser, stack, gql, 'card-pii', ['card.pii.read', 'card.pii.export']);
    await new Shell(page).go('カード利用者');
    await page.getByLabel('氏名（カード対象者またはお子さま、姓・名だけでも可）').fill('花子');
    await page.getByRole('button', { name: '検索' }).click();
    await page.getByRole('cell', { name: '浦和 花子', exact: true }).waitFor();
    await page.getByText('1件', { exact: true }).waitFor();
    await shot(page, '46-card-holders');
    await page.getByLabel('出力の理由').fill('協賛店からの問い合わせ確認');
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'CSVで出力' }).click();
    const download = await downloading;
    await page.getByText('2件を出力しました').waitFor();
    const file = path.join(ARTIFACTS, 'card-holders.csv');
    await download.saveAs(file);
    const csv = readFileSync(file);
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel');
    const text = csv.toString('utf8');
    assert.ok(text.includes('浦和 花子') && text.includes('2018-04-02') && text.includes('\r\n'));
    const audit = await gql('{ auditLog(filter: {action: "card.pii."}) { items { action summary } } }');
    const actions = audit.auditLog.items.map((i) => i.action);
    assert.ok(actions.includes('card.pii.search'), 'the search is audited');
    assert.ok(actions.includes('card.pii.export'), 'the export is audited');
    await context.close();
  });

  await parent.context.close();
}
