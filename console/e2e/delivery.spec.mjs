// Segment delivery in the console against the real stack: compose with an
// image, see the talk-screen preview and the live count, link a tester and
// test-send, schedule a few seconds ahead, watch it complete, download the CSV.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { adminContext } from './admin.mjs';
import { ARTIFACTS, Shell, shot } from './pages/index.mjs';
import { fake, png } from './helpers.mjs';

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
    await page.getByLabel('予約日時（日本時間）').fill(jstLocal(4));
    await page.getByRole('button', { name: 'この日時に予約配信' }).click();
    await page.getByTestId('delivery-status').filter({ hasText: '配信予約' }).waitFor();
    await shot(page, '32-delivery-scheduled');
    await page.getByTestId('delivery-status').filter({ hasText: '配信完了' }).waitFor({ timeout: 30000 });
    const stats = await page.getByTestId('delivery-stats').textContent();
    assert.ok(stats.includes(`配信数（対象者）${friends}成功数${friends}失敗数0`), stats);
    await shot(page, '33-delivery-completed');
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

  await ctx.close();
}
