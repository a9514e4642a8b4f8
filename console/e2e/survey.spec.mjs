// アンケート: staff build a survey with a condition and see it work in the
// phone preview, publish it; a resident answers it on a phone through the
// sandbox LINE login (the hidden question appears only for its answer);
// staff see the chart and download the CSV, which is audited.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PHONE, fake, staffApi, staffSession } from './helpers.mjs';
import { ARTIFACTS, Shell, shot } from './pages/index.mjs';

export async function run({ browser, stack, test }) {
  const gql = await staffApi(stack.base);
  const { context, page } = await staffSession(browser, stack, gql, 'kocho', ['survey.manage', 'delivery.send']);
  let liffUrl = '';

  await test('職員が表示条件つきのアンケートを作り、プレビューで確かめて公開する', async () => {
    await new Shell(page).go('アンケート');
    await page.getByRole('heading', { name: 'アンケート', exact: true }).waitFor();
    await page.getByRole('button', { name: '新しいアンケート' }).click();
    await page.getByRole('tab', { name: '質問' }).waitFor();
    await page.getByLabel('タイトル', { exact: true }).fill('県民の日イベント参加アンケート');
    const section = page.getByTestId('section-s1');
    await section.getByRole('button', { name: '質問を追加' }).click();
    const first = page.getByTestId('question-q1');
    await first.getByLabel('質問文').fill('イベントに参加しますか');
    await first.getByLabel('必須').check();
    await first.getByLabel('選択肢（1行に1つ）').fill('参加する\n参加しない');
    await section.getByRole('combobox', { name: '質問の種類' }).last().selectOption({ label: '自由記述（複数行）' });
    await section.getByRole('button', { name: '質問を追加' }).click();
    const second = page.getByTestId('question-q2');
    await second.getByLabel('質問文').fill('参加しない理由を教えてください');
    await second.getByRole('combobox', { name: '表示条件' }).selectOption({ label: '「イベントに参加しますか」の回答が次のいずれかのとき表示' });
    await second.getByRole('checkbox', { name: '参加しない' }).check();
    // The preview applies the condition as the resident's page will.
    const preview = page.getByTestId('survey-preview');
    assert.equal(await preview.getByText('参加しない理由を教えてください').count(), 0);
    await preview.getByRole('radio', { name: '参加しない' }).check();
    await preview.getByText('参加しない理由を教えてください').waitFor();
    await shot(page, '80-survey-builder');
    await page.getByRole('button', { name: '公開（新しい版）' }).click();
    await page.getByText('第1版を公開しました').waitFor();
    liffUrl = (await page.getByTestId('survey-liff-url').textContent()) ?? '';
    assert.match(liffUrl, /\/survey\?id=\d+$/);
  });

  await test('住民がスマートフォンで回答する（条件の質問は選んだときだけ出る）', async () => {
    const { userId } = await fake(stack, '/_fake/users', { displayName: '所沢 美咲' });
    await fake(stack, `/_fake/users/${userId}/follow`, {});
    const phone = await browser.newContext(PHONE);
    const p = await phone.newPage();
    await p.goto(liffUrl);
    await p.getByRole('heading', { name: 'LINEログイン（サンドボックス）' }).waitFor();
    await p.getByRole('link', { name: new RegExp(userId) }).click();
    await p.getByRole('heading', { name: '県民の日イベント参加アンケート' }).waitFor();
    // Sent without the required answer: the message is under the question.
    await p.getByRole('button', { name: '回答する' }).click();
    await p.getByText('「イベントに参加しますか」は必須です').waitFor();
    assert.equal(await p.getByText('参加しない理由を教えてください').count(), 0);
    await p.getByRole('radio', { name: '参加しない' }).check();
    await p.getByRole('textbox', { name: '参加しない理由を教えてください' }).fill('=仕事のため参加できません');
    await shot(p, '81-survey-liff');
    await p.getByRole('button', { name: '回答する' }).click();
    await p.getByText('ご回答ありがとうございました。').waitFor();
    await shot(p, '82-survey-liff-done');
    // Reopened: their answer is there, to change while it is open.
    await p.reload();
    await p.getByRole('button', { name: '回答を変更する' }).waitFor();
    assert.ok(await p.getByRole('radio', { name: '参加しない' }).isChecked());
    await phone.close();
  });

  await test('職員が結果のグラフを見て、CSVを出力する', async () => {
    await page.reload();
    await page.getByRole('tab', { name: '結果' }).click();
    await page.getByTestId('survey-total').getByText('回答 1件（LIFF 1件・トーク 0件）').waitFor();
    const chart = page.getByRole('table', { name: 'イベントに参加しますかの集計' });
    assert.equal(await chart.getByRole('row', { name: /参加しない/ }).getByRole('cell').last().textContent(), '1');
    await shot(page, '83-survey-results');
    await page.getByLabel('出力の理由').fill('イベントの参加者数の集計');
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'CSVで出力' }).click();
    const download = await downloading;
    await page.getByText('1件を出力しました').waitFor();
    const file = path.join(ARTIFACTS, 'survey-answers.csv');
    await download.saveAs(file);
    const csv = readFileSync(file);
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel');
    const text = csv.toString('utf8');
    assert.ok(text.includes('参加しない') && text.includes('\r\n'), text);
    assert.ok(text.includes("'=仕事のため"), 'a formula stays text');
    const audit = await gql('{ auditLog(filter: {action: "survey.export"}) { items { action } } }');
    assert.equal(audit.auditLog.items.length, 1);
  });

  await context.close();
}
