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

  await context.close();
}
