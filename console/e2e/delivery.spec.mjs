// Segment delivery in the console against the real stack: compose with an
// image, see the talk-screen preview and the live count, link a tester and
// test-send, schedule a few seconds ahead, watch it complete, download the CSV.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { adminContext } from './admin.mjs';
import { ARTIFACTS, PasswordPage, Shell, SignInPage, shot } from './pages/index.mjs';
import { fake, png, staffApi } from './helpers.mjs';

const PNG = png(240, 160);

/** A JST wall-clock time `seconds` from now, as a datetime-local value with seconds. */
function jstLocal(seconds) {
  return new Date(Date.now() + seconds * 1000 + 9 * 3600 * 1000).toISOString().slice(0, 19);
}

export async function run({ browser, stack, test }) {
  const residents = [];
  for (const name of ['浦和 一郎', '大宮 二郎', '川越 三子']) {
    const { userId } = await fake(stack, '/_fake/users', { displayName: name });
    await fake(stack, `/_fake/users/${userId}/follow`, {});
    residents.push(userId);
  }
  // A staff member's own phone: a friend of the account like anyone else.
  const { userId: tester } = await fake(stack, '/_fake/users', { displayName: '職員 テスト端末' });
  await fake(stack, `/_fake/users/${tester}/follow`, {});
  // Everyone following the account (earlier tests' residents too) is in "all friends".
  const friends = String((await fake(stack, '/_fake/stats')).following);
  const { context: ctx, page } = await adminContext(browser, stack.base, { acceptDownloads: true });
  const image = path.join(ARTIFACTS, 'hinanjo.png');
  writeFileSync(image, PNG);

  await test('配信作成：画像つきメッセージを作り、トーク画面のプレビューと対象人数を確認する', async () => {
    await new Shell(page).go('配信');
    await page.getByRole('link', { name: '新しい配信を作成' }).click();
    await page.getByRole('heading', { name: '配信作成' }).waitFor();
    await page.getByLabel('タイトル').fill('避難所の開設について');
    const text = '大雨のため、市内の避難所を開設しました 🏠';
    await page.getByLabel('メッセージ1の本文').fill(text);
    // 20 characters and an emoji that LINE counts as two.
    assert.equal(text.length, 22);
    await page.getByTestId('counter-0').filter({ hasText: '22 / 5,000' }).waitFor();
    await page.getByLabel('画像を追加').setInputFiles(image);
    await page.getByTestId('talk-preview').locator('img').waitFor();
    // The keyboard reaches 画像を追加 from テキストを追加; 動画を追加 opens the video inputs and focuses the first.
    await page.getByRole('button', { name: 'テキストを追加' }).focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.matches('input[type="file"][accept^="image/"]')), true, 'Tab reaches 画像を追加');
    assert.equal(await page.getByLabel('動画ファイル（MP4、200MBまで）').count(), 0, 'no video inputs before 動画を追加');
    await page.getByRole('button', { name: '動画を追加', exact: true }).click();
    const videoFile = page.getByLabel('動画ファイル（MP4、200MBまで）');
    await videoFile.waitFor();
    assert.ok(await videoFile.evaluate((el) => el === document.activeElement));
    await page.getByTestId('video-picker').getByRole('button', { name: 'キャンセル' }).click();
    await videoFile.waitFor({ state: 'detached' });
    await page.getByTestId('talk-preview').getByText('大雨のため、市内の避難所を開設しました').waitFor();
    await page.waitForFunction((n) => document.querySelector('[data-testid="target-count"]')?.textContent === n, friends);
    await shot(page, '30-delivery-compose');
    await page.getByRole('button', { name: '下書きを保存' }).click();
    await page.getByTestId('delivery-status').filter({ hasText: '下書き' }).waitFor();
  });

  await test('テスト送信：本人のLINEを登録し、テスト送信は登録した端末だけに届く', async () => {
    await page.getByRole('button', { name: 'テスト送信先の登録コードを発行' }).click();
    const code = (await page.getByTestId('tester-code').textContent()).trim();
    await fake(stack, `/_fake/users/${tester}/message`, { text: code });
    // The page notices the link by itself (it polls while a code is shown).
    await page.getByRole('button', { name: 'テスト送信する' }).waitFor({ timeout: 15000 });
    await page.getByRole('button', { name: 'テスト送信する' }).click();
    await page.getByText('テスト送信しました').waitFor();
    const inbox = (await fake(stack, `/_fake/users/${tester}/inbox`)).messages;
    const test = inbox.find((m) => m.via === 'push' && m.messages.length === 2);
    assert.ok(test, 'the tester got the test send');
    assert.equal(test.messages[1].type, 'image');
    for (const r of residents) {
      const got = (await fake(stack, `/_fake/users/${r}/inbox`)).messages;
      assert.ok(!got.some((m) => m.via !== 'reply'), 'residents got nothing but their welcome');
    }
    await shot(page, '31-delivery-test-send');
  });

  await test('予約配信：数秒後に予約し、配信完了と実績が表示され、CSVで出力できる', async () => {
    // The page says to whom and how many before anything is sent.
    await page.getByTestId('delivery-target').getByText('すべての友だち').waitFor();
    assert.equal(await page.getByTestId('expected-recipients').textContent(), friends);
    // A time already past asks whether to send now; declining sends nothing.
    let asked = '';
    await page.getByLabel('予約日時（日本時間）').fill(jstLocal(-120));
    page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await page.getByRole('button', { name: 'この日時に予約配信' }).click();
    assert.match(asked, /過ぎています/);
    assert.ok(asked.includes(`${friends}人（すべての友だち）に今すぐ配信しますか`), asked);
    assert.equal(await page.getByTestId('delivery-status').textContent(), '下書き');
    await page.getByLabel('予約日時（日本時間）').fill(jstLocal(5));
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.getByRole('button', { name: 'この日時に予約配信' }).click();
    await page.getByTestId('delivery-status').filter({ hasText: '配信予約' }).waitFor();
    assert.ok(asked.includes(`${friends}人（すべての友だち）へ配信を予約します`), asked);
    await page.getByText('配信を予約しました').waitFor();
    await shot(page, '32-delivery-scheduled');
    await page.getByTestId('delivery-status').filter({ hasText: '配信完了' }).waitFor({ timeout: 30000 });
    const stats = await page.getByTestId('delivery-stats').textContent();
    assert.ok(stats.includes(`配信数（対象者）${friends}成功数${friends}失敗数0`), stats);
    await shot(page, '33-delivery-completed');
    // The scheduling banner does not outlive the scheduling.
    assert.equal(await page.getByText('配信を予約しました').count(), 0);
    for (const r of residents) {
      const got = (await fake(stack, `/_fake/users/${r}/inbox`)).messages.filter((m) => m.via === 'multicast');
      assert.equal(got.length, 1, 'each resident got it once');
    }
    await page.getByRole('link', { name: '← 配信一覧へ' }).click();
    await page.getByRole('link', { name: '避難所の開設について' }).waitFor();
    await page.getByText(`合計：配信 1 件・配信数 ${friends}・成功 ${friends}・失敗 0`).waitFor();
    await shot(page, '34-delivery-list');
    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: 'CSVで出力' }).click();
    const file = path.join(ARTIFACTS, 'deliveries.csv');
    await (await downloading).saveAs(file);
    const csv = readFileSync(file);
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel');
    const lines = csv.toString('utf8').trim().split('\r\n');
    assert.equal(lines.length, 2);
    assert.match(lines[1], /避難所の開設について,テキスト・画像,配信完了/);
  });

  await test('ダッシュボードに友だち数の推移、受信設定の登録者と最近の配信が表示される', async () => {
    await new Shell(page).go('ダッシュボード');
    await page.getByRole('heading', { name: '友だち数の推移（過去30日）' }).waitFor();
    await page.getByRole('img', { name: /までの友だち数：/ }).waitFor();
    await page.getByText('受信設定の登録者', { exact: true }).waitFor();
    await page.getByRole('heading', { name: '最近の配信' }).waitFor();
    const recent = page.getByTestId('recent-deliveries');
    await recent.getByRole('link', { name: '避難所の開設について' }).waitFor();
    await recent.getByText('配信完了').waitFor();
    await shot(page, '37-dashboard');
  });

  await test('下書きの削除は確かめてから行う', async () => {
    await new Shell(page).go('配信');
    await page.getByRole('link', { name: '新しい配信を作成' }).click();
    await page.getByLabel('タイトル').fill('消す下書き');
    await page.getByLabel('メッセージ1の本文').fill('下書きです');
    await page.getByRole('button', { name: '下書きを保存' }).click();
    await page.getByTestId('delivery-status').filter({ hasText: '下書き' }).waitFor();
    assert.equal(await page.getByRole('button', { name: '予約を取り消す' }).count(), 0, 'a draft has nothing to cancel');
    page.once('dialog', (d) => void d.dismiss());
    await page.getByRole('button', { name: '下書きを削除' }).click();
    await page.getByRole('heading', { name: '消す下書き' }).waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: '下書きを削除' }).click();
    await page.getByRole('heading', { name: '配信一覧' }).waitFor();
    assert.equal(await page.getByRole('link', { name: '消す下書き' }).count(), 0);
  });

  await test('配信担当（配信の作成だけ）が保存済みセグメントや条件を選んで配信を作成でき、権限のない画面は理由を示す', async () => {
    const gql = await staffApi(stack.base);
    const created = await gql('mutation { createStaffAccount(input: {loginId: "haishin01", displayName: "配信 担当", permissions: ["delivery.create"]}) { temporaryPassword } }');
    const temp = created.createStaffAccount.temporaryPassword;
    const author = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', viewport: { width: 1366, height: 768 } });
    const p = await author.newPage();
    const signIn = new SignInPage(p, stack.base);
    await signIn.open();
    await signIn.signIn('haishin01', temp);
    await new PasswordPage(p).change(temp, 'Chichibu-Night-2026');
    await p.getByRole('heading', { name: 'ダッシュボード' }).waitFor();
    await new Shell(p).go('配信');
    await p.getByRole('link', { name: '新しい配信を作成' }).click();
    await p.getByRole('heading', { name: '配信作成' }).waitFor();
    await p.getByLabel('タイトル').fill('川口市の皆さまへ');
    await p.getByLabel('メッセージ1の本文').fill('お知らせです');
    // Saved segments and the catalogue are readable for composing.
    await p.getByRole('radio', { name: '保存済みのセグメント' }).check();
    await p.getByLabel('セグメント', { exact: true }).selectOption({ label: '川口市・さいたま市の住民' });
    await p.getByRole('radio', { name: '条件を指定' }).check();
    await p.getByTestId('group-0').getByLabel('条件を追加').last().selectOption({ label: '居住地域' });
    await p.getByTestId('group-0').getByRole('button', { name: '追加', exact: true }).last().click();
    await p.getByRole('checkbox', { name: '川口市' }).check();
    await p.waitForFunction(() => /^[0-9,]+$/.test(document.querySelector('[data-testid="target-count"]')?.textContent ?? ''));
    await shot(p, '35-delivery-author-compose');
    await p.getByRole('button', { name: '下書きを保存' }).click();
    await p.getByTestId('delivery-status').filter({ hasText: '下書き' }).waitFor();
    await p.getByTestId('delivery-target').getByText(/居住地域/).waitFor();
    // Without delivery.send there is nothing to send with.
    assert.equal(await p.getByRole('button', { name: '今すぐ配信' }).count(), 0);
    // A query the server refuses says so in Japanese instead of loading forever.
    await p.route('**/graphql', async (route) => {
      if (route.request().postData()?.includes('query ComposeChoices')) {
        await route.fulfill({ contentType: 'application/json', body: JSON.stringify({ data: null, errors: [{ message: 'forbidden', extensions: { code: 'FORBIDDEN' } }] }) });
      } else await route.continue();
    });
    await p.goto(`${stack.base}/console/deliveries/new`);
    await p.getByText('この操作を行う権限がありません。').waitFor();
    assert.equal(await p.getByText('読み込み中').count(), 0);
    await shot(p, '36-forbidden-query');
    await author.close();
  });

  await ctx.close();
}
