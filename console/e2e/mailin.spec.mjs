// メール配信ルール in the console: staff allow the prefecture's sender,
// write a rule for 避難情報 mails and try it on a pasted mail (the
// municipalities it names and the message shown); a mail posted to the
// intake appears in the list with the rule's verdict.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { adminContext } from './admin.mjs';
import { Shell, shot } from './pages/index.mjs';

const SECRET = 'e2e-mail-intake-secret';

async function postMail(base, raw) {
  const body = Buffer.from(raw, 'utf8');
  const signature = createHmac('sha256', SECRET).update(body).digest('base64');
  const r = await fetch(`${base}/mail/intake`, { method: 'POST', headers: { 'content-type': 'message/rfc822', 'x-tenohira-signature': signature }, body });
  assert.equal(r.status, 202, await r.text());
}

export async function run({ browser, stack, test }) {
  const { context, page } = await adminContext(browser, stack.base);

  await test('職員が送信元を許可し、避難情報のルールを作って貼り付けたメールで試す', async () => {
    await new Shell(page).go('メール配信ルール');
    await page.getByRole('heading', { name: 'メール配信ルール', exact: true }).waitFor();
    await page.getByLabel('メールアドレスまたはドメイン').fill('not an address');
    await page.getByRole('button', { name: '許可する' }).click();
    await page.getByText('メールアドレス（bousai@pref.example.jp）かドメイン').first().waitFor();
    await page.getByLabel('メールアドレスまたはドメイン').fill('pref.example.jp');
    await page.getByRole('button', { name: '許可する' }).click();
    await page.getByTestId('mail-senders').getByText('pref.example.jp').waitFor();

    await page.getByRole('button', { name: '新しいルール' }).click();
    const editor = page.getByTestId('mail-rule-editor');
    await editor.getByLabel('ルール名').fill('避難情報');
    await editor.getByLabel('キーワード（改行または「、」で区切る）').fill('避難指示、高齢者等避難');
    await editor.getByLabel('件名', { exact: true }).fill('【避難指示】さいたま市浦和区・川口市');
    await editor.getByLabel('本文', { exact: true }).fill('浦和区と川口市に避難指示を発令しました。\n----------\n埼玉県危機管理防災部');
    await editor.getByRole('button', { name: '試す' }).click();
    const result = editor.getByTestId('mail-test-result');
    await result.getByText('一致しました').waitFor();
    assert.match(await result.innerText(), /さいたま市（さいたま市浦和区）、川口市/);
    assert.match(await result.innerText(), /【さいたま市・川口市】【避難指示】/);
    await shot(page, '70-mail-rule-test');
    // A template naming an unknown placeholder is refused at its field.
    await editor.getByLabel('メッセージのひな形').fill('{宛名}様');
    await editor.getByRole('button', { name: '保存' }).click();
    await editor.getByText('差し込み「{宛名}」はありません').first().waitFor();
    await editor.getByLabel('メッセージのひな形').fill('【{市町村}】{件名}\n{本文}');
    await editor.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('mail-rules-list').getByRole('button', { name: '避難情報' }).waitFor();
  });

  await test('受信したメールが一覧に出て、ルールの判定と理由が見える', async () => {
    await postMail(stack.base, 'From: bousai@pref.example.jp\r\nSubject: =?UTF-8?B?44CQ6YG/6Zuj5oyH56S644CR5bed5Y+j5biC?=\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n川口市に避難指示を発令しました。\r\n');
    const list = page.getByTestId('mail-list');
    await list.getByRole('button', { name: '【避難指示】川口市' }).click({ timeout: 15000 });
    const detail = page.getByTestId('mail-detail');
    await detail.getByTestId('mail-rules').getByText('避難情報').waitFor({ timeout: 15000 });
    await detail.getByText('件名に「避難指示」を含む').waitFor();
    assert.match(await detail.getByTestId('mail-municipalities').innerText(), /川口市/);
    await shot(page, '71-mail-received');
  });

  await context.close();
}
