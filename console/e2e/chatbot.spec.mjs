// The FAQ in the console and the bot in the chat: staff add an entry, test
// what the bot would find, and a resident asking in their own words gets
// the answer in LINE (through line-fake's signed webhook).
import assert from 'node:assert/strict';
import { adminContext } from './admin.mjs';
import { Shell, shot } from './pages/index.mjs';
import { fake } from './helpers.mjs';

export async function run({ browser, stack, test }) {
  const { context, page } = await adminContext(browser, stack.base);

  await test('職員がFAQを登録し、回答のテストで一致度を確かめる', async () => {
    await new Shell(page).go('FAQ');
    await page.getByRole('heading', { name: 'FAQ', exact: true }).waitFor();
    await page.getByText('出典：子育てオープンデータ協議会「汎用FAQ」（CC BY 4.0）').waitFor();
    await page.getByRole('button', { name: '新しいFAQ' }).click();
    // Nothing filled: the API's messages at their fields.
    await page.getByLabel(/^回答＊?$/).fill(' ');
    await page.getByLabel(/^質問＊?$/).fill(' ');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('質問を入力してください').first().waitFor();
    await page.getByLabel(/^質問＊?$/).fill('ドローンを飛ばすには許可が必要ですか');
    await page.getByLabel('言い換え（1行に1つ）').fill('ドローンを飛ばしたい\nドローンの許可申請');
    await page.getByLabel(/^回答＊?$/).fill('国の許可が必要な場合があります。国土交通省の窓口にご相談ください。');
    await page.getByText('33 / 5,000 文字').waitFor();
    await page.getByLabel('カテゴリ').fill('くらし');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('FAQを作成しました').waitFor();
    await page.getByTestId('faq-entries').getByRole('cell', { name: 'ドローンを飛ばすには許可が必要ですか', exact: true }).waitFor();
    await page.getByLabel('テストする質問').fill('ドローン飛ばしたいんだけど');
    await page.getByRole('button', { name: 'テスト', exact: true }).click();
    const first = page.getByTestId('faq-try-results').locator('li').first();
    await first.getByText('ドローンを飛ばすには許可が必要ですか').waitFor();
    assert.match(await first.textContent(), /一致度 \d+/);
    await shot(page, '50-faq');
  });

  await test('住民がLINEで自分の言葉で質問すると、FAQの回答と「解決しましたか？」が届く', async () => {
    const { userId } = await fake(stack, '/_fake/users', { displayName: '所沢 四郎' });
    await fake(stack, `/_fake/users/${userId}/follow`, {});
    await fake(stack, `/_fake/users/${userId}/message`, { text: 'ドローンの許可申請ってどうするの？' });
    // The welcome came first; the bot's answer follows.
    const answer = '国の許可が必要な場合があります。国土交通省の窓口にご相談ください。';
    let reply;
    for (let i = 0; i < 100 && !reply; i++) {
      const inbox = (await fake(stack, `/_fake/users/${userId}/inbox`)).messages;
      reply = inbox.find((m) => m.messages[0]?.text === answer);
      if (!reply) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(reply, 'the bot replied');
    assert.equal(reply.messages[1].text, '解決しましたか？');
  });

  await test('職員がフローチャートでシナリオを編集し、シミュレーターで試して公開する', async () => {
    await new Shell(page).go('シナリオ');
    await page.getByRole('heading', { name: 'シナリオ', exact: true }).waitFor();
    await page.getByLabel('新しいシナリオの名前').fill('ごみ案内テスト');
    await page.getByRole('button', { name: '作成', exact: true }).click();
    await page.getByText('シナリオを作成しました').waitFor();
    const chart = page.getByTestId('flow-chart');
    await chart.getByRole('button', { name: 'メッセージ：はじめ' }).click();
    const panel = page.getByRole('form', { name: 'ノードの編集' });
    await panel.getByLabel('本文').fill('ごみの種類を選んでください。');
    await panel.getByRole('button', { name: '反映' }).click();
    // A node after はじめ: it waits for a tap, so the new node gets a choice of its own.
    await panel.getByRole('button', { name: 'このあとにノードを追加' }).click();
    await chart.getByRole('button', { name: /^メッセージ：message_1$/ }).waitFor();
    await panel.getByLabel('本文').fill('燃やすごみは月曜日と木曜日の朝8時30分までに出してください。');
    await panel.getByLabel('見出し').fill('燃やすごみ');
    await panel.getByRole('button', { name: '反映' }).click();
    await chart.getByRole('button', { name: 'メッセージ：燃やすごみ' }).waitFor();
    // Delete it and take that back.
    await panel.getByRole('button', { name: 'ノードを削除' }).click();
    assert.equal(await chart.getByRole('button', { name: 'メッセージ：燃やすごみ' }).count(), 0);
    await page.getByRole('button', { name: '元に戻す' }).click();
    await chart.getByRole('button', { name: 'メッセージ：燃やすごみ' }).waitFor();
    await chart.getByRole('button', { name: 'メッセージ：はじめ' }).click();
    await panel.getByLabel('選択肢2').fill('燃やすごみ');
    await panel.getByRole('button', { name: '反映' }).click();
    await page.getByLabel('ノードを検索').fill('燃やす');
    await page.getByText('1件').waitFor();
    await page.getByRole('button', { name: '拡大' }).click();
    await page.getByLabel('開始キーワード（、で区切る）').fill('ごみ案内');
    await page.getByRole('button', { name: '公開前の確認' }).click();
    await page.getByText('問題は見つかりませんでした。公開できます。').waitFor();
    await page.getByRole('button', { name: '下書き保存' }).click();
    await page.getByText('下書きを保存しました').waitFor();
    // The simulator: nothing stored, nothing sent.
    const sim = page.getByRole('region', { name: 'シミュレーター（第1版）' });
    await sim.getByRole('button', { name: '最初から始める' }).click();
    await sim.getByTestId('simulator-log').getByText('ごみの種類を選んでください。').waitFor();
    await sim.getByRole('group', { name: '選択肢' }).getByRole('button', { name: '燃やすごみ' }).click();
    await sim.getByTestId('simulator-log').getByText('燃やすごみは月曜日と木曜日の朝8時30分までに出してください。').waitFor();
    await page.getByRole('button', { name: '公開', exact: true }).click();
    await page.getByText('シナリオを公開しました').waitFor();
    await page.getByTestId('scenario-versions').getByRole('cell', { name: '公開中', exact: true }).waitFor();
    await shot(page, '51-scenario-flow-chart');
  });

  await test('住民がキーワードでシナリオを始めて選択肢で進み、職員が統計とフローチャートで見る', async () => {
    const { userId } = await fake(stack, '/_fake/users', { displayName: '川越 五郎' });
    await fake(stack, `/_fake/users/${userId}/follow`, {});
    const inboxFind = async (pred) => {
      for (let i = 0; i < 100; i++) {
        const found = (await fake(stack, `/_fake/users/${userId}/inbox`)).messages.find(pred);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail('the bot did not reply');
    };
    await fake(stack, `/_fake/users/${userId}/message`, { text: 'ごみ案内' });
    const menu = await inboxFind((m) => m.messages[0]?.text === 'ごみの種類を選んでください。');
    const item = menu.messages[0].quickReply.items.find((i) => i.action.label === '燃やすごみ');
    await fake(stack, `/_fake/users/${userId}/postback`, { data: item.action.data });
    await inboxFind((m) => m.messages[0]?.text?.startsWith('燃やすごみは月曜日'));
    await fake(stack, `/_fake/users/${userId}/message`, { text: 'ペットの登録はどこでするの' });
    await inboxFind((m) => m.messages[0]?.text?.includes('見つかりませんでした'));

    await new Shell(page).go('応答統計');
    await page.getByRole('heading', { name: '応答統計', exact: true }).waitFor();
    await page.getByTestId('node-figures').getByRole('cell', { name: 'message_1', exact: true }).waitFor();
    const groups = page.getByTestId('unanswered-groups');
    await groups.getByRole('cell', { name: 'ペットの登録はどこでするの' }).waitFor();
    await shot(page, '52-chatbot-statistics');
    // One click: the unanswered question becomes a new FAQ entry.
    await groups.getByRole('button', { name: 'FAQとして登録' }).first().click();
    assert.equal(await page.getByLabel(/^質問＊?$/).inputValue(), 'ペットの登録はどこでするの');
    await page.getByLabel(/^回答＊?$/).fill('犬の登録は市町村の窓口で行います。');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('FAQを作成しました').waitFor();
    // The flow chart shows what residents did at each node.
    await new Shell(page).go('シナリオ');
    await page.getByRole('button', { name: '「ごみ案内テスト」を開く' }).click();
    await page.getByTestId('flow-chart').getByText(/通過1・離脱0/).first().waitFor();
  });

  await test('職員がExcelのCSV（Shift_JIS）でFAQを一括取り込みし、誤りのある行は行番号つきで示され何も取り込まれない', async () => {
    await new Shell(page).go('FAQ');
    const section = page.getByRole('region', { name: '一括取り込み・書き出し' });
    const broken = '質問,回答,カテゴリ\r\n介護保険の申請,,福祉\r\n';
    await section.getByLabel('取り込むファイル').setInputFiles({ name: 'faq.csv', mimeType: 'text/csv', buffer: Buffer.from(broken, 'utf8') });
    await section.getByRole('button', { name: '内容を確認' }).click();
    const problems = section.getByTestId('faq-import-problems');
    await problems.getByRole('cell', { name: '回答を入力してください' }).waitFor();
    assert.equal(await problems.locator('tbody tr td').first().textContent(), '2');
    assert.ok(await section.getByRole('button', { name: '取り込む', exact: true }).isDisabled());
    const good = '\ufeff質問,回答,カテゴリ\r\n介護保険の申請はどこでできますか,お住まいの市町村の介護保険担当窓口で申請できます。,福祉\r\n';
    await section.getByLabel('取り込むファイル').setInputFiles({ name: 'faq.csv', mimeType: 'text/csv', buffer: Buffer.from(good, 'utf8') });
    await section.getByRole('button', { name: '内容を確認' }).click();
    await page.getByText('1行を確認しました。問題はありません').waitFor();
    await section.getByRole('button', { name: '取り込む', exact: true }).click();
    await page.getByText('取り込みました（新規1件・更新0件）').waitFor();
    await page.getByTestId('faq-entries').getByRole('cell', { name: '介護保険の申請はどこでできますか', exact: true }).waitFor();
  });

  await context.close();
}
