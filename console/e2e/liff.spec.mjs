// The residents' LIFF page in a phone-sized Chromium: a simulated resident
// follows, opens 受信設定 through the sandbox LINE login, registers residence
// and interests, and staff see the segment count change. Then withdrawal.
import assert from 'node:assert/strict';
import { ADMIN } from './stack.mjs';
import { Shell, SignInPage, shot } from './pages/index.mjs';

async function staffApi(base) {
  const login = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($i: LoginInput!) { login(input: $i) { stage } }', variables: { i: ADMIN } }),
  });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  return async (query, variables = {}) => {
    const r = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ query, variables }),
    });
    const body = await r.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
}

async function fake(stack, path, body) {
  const r = await fetch(`${stack.fakeUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  return r.json();
}

export async function run({ browser, stack, test }) {
  const gql = await staffApi(stack.base);
  const residence = await gql('mutation { createAttribute(input: {name: "居住地域", kind: MUNICIPALITY, options: ["さいたま市", "川口市", "川越市"]}) { options { id } } }');
  const kawaguchi = residence.createAttribute.options[1].id;
  await gql('mutation { createAttribute(input: {name: "関心のある分野", kind: MULTIPLE, options: ["防災", "子育て", "観光"]}) { id } }');
  await gql('mutation { createCategoryNode(name: "防災") { id } }');
  const count = async () => (await gql('query($o: Int!) { audienceCount(expression: {residenceIn: [$o]}) }', { o: kawaguchi })).audienceCount;

  const { userId } = await fake(stack, '/_fake/users', { displayName: '埼玉 花子' });
  await fake(stack, `/_fake/users/${userId}/follow`);

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'ja-JP' });
  const page = await phone.newPage();

  await test('住民がLINEログインを経て受信設定を開く', async () => {
    await page.goto(`${stack.base}/liff/`);
    // The sandbox login lists simulated residents.
    await page.getByRole('heading', { name: 'LINEログイン（サンドボックス）' }).waitFor();
    await page.getByRole('link', { name: /埼玉 花子/ }).click();
    await page.getByRole('heading', { name: '受信設定' }).waitFor();
    await shot(page, '20-liff-settings');
  });

  await test('住民が居住地域と関心分野を登録すると、職員の見るセグメント数が増える', async () => {
    assert.equal(await count(), 0);
    await page.getByRole('radio', { name: '川口市' }).check();
    await page.getByRole('checkbox', { name: '防災' }).first().check();
    await page.getByRole('checkbox', { name: '観光' }).check();
    await page.getByRole('button', { name: '登録する' }).click();
    await page.getByText('受信設定を登録しました。').waitFor();
    await shot(page, '21-liff-saved');
    let n = 0;
    for (let i = 0; i < 40 && n === 0; i++) {
      n = await count();
      if (n === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(n, 1, 'the resident appears in the segment count');
    // Reopening shows what was saved.
    await page.reload();
    await page.getByRole('heading', { name: '受信設定' }).waitFor();
    assert.ok(await page.getByRole('radio', { name: '川口市' }).isChecked());
  });

  await test('職員がセグメント作成画面で条件を選ぶと対象人数が変わる', async () => {
    const staff = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
    const p = await staff.newPage();
    const signIn = new SignInPage(p, stack.base);
    await signIn.open();
    await signIn.signIn(ADMIN.loginId, ADMIN.password);
    await new Shell(p).go('セグメント');
    await p.getByRole('heading', { name: 'セグメント', exact: true }).waitFor();
    const live = p.getByTestId('audience-count');
    await p.getByRole('checkbox', { name: 'さいたま市' }).check();
    await p.waitForFunction(() => document.querySelector('[data-testid="audience-count"]')?.textContent === '0');
    await p.getByRole('checkbox', { name: '川口市' }).check();
    await p.waitForFunction(() => document.querySelector('[data-testid="audience-count"]')?.textContent === '1');
    assert.equal(await live.textContent(), '1');
    await p.getByLabel(/^セグメント名/).fill('川口市・さいたま市の住民');
    await p.getByRole('button', { name: 'この条件で保存' }).click();
    await p.getByText('セグメントを保存しました').waitFor();
    await p.getByRole('cell', { name: '川口市・さいたま市の住民' }).waitFor();
    await shot(p, '23-segment-builder');
    await new Shell(p).go('友だち一覧');
    await p.getByLabel('セグメントで絞り込む').selectOption({ label: '川口市・さいたま市の住民' });
    await p.getByText('1〜1件 / 全1件').waitFor();
    await staff.close();
  });

  await test('職員が項目と受信項目を編集し、使われている選択肢の削除でセグメントが要確認になる', async () => {
    const staff = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
    const p = await staff.newPage();
    const signIn = new SignInPage(p, stack.base);
    await signIn.open();
    await signIn.signIn(ADMIN.loginId, ADMIN.password);
    await new Shell(p).go('属性・受信項目');
    await p.getByLabel('項目名').fill('ライフスタイル');
    await p.getByLabel('種類').selectOption({ label: '複数選択' });
    await p.getByLabel('選択肢（1行に1つ）').fill('子育て中\n学生');
    await p.getByRole('button', { name: '作成' }).click();
    await p.getByText('項目を作成しました').waitFor();
    await p.getByLabel('「ライフスタイル」に選択肢を追加').fill('介護中');
    await p.getByLabel('「ライフスタイル」に選択肢を追加').press('Tab');
    await p.getByTestId('attribute-ライフスタイル').getByRole('button', { name: '追加' }).click();
    await p.getByTestId('attribute-ライフスタイル').getByText('介護中').waitFor();
    await p.getByLabel('追加する中カテゴリの名前').first().fill('避難情報');
    await p.getByRole('button', { name: '中カテゴリを追加' }).first().click();
    await p.getByText('避難情報').waitFor();
    p.once('dialog', (d) => d.accept());
    await p.getByRole('button', { name: 'さいたま市 削除' }).click();
    await p.getByText('要確認になったセグメント：1件').waitFor();
    await shot(p, '24-catalog');
    await new Shell(p).go('セグメント');
    await p.getByText('条件に使われている選択肢「さいたま市」が削除されました').waitFor();
    await shot(p, '25-segment-needs-review');
    await staff.close();
  });

  await test('住民が登録情報をすべて削除できる', async () => {
    await page.getByRole('link', { name: '登録した情報をすべて削除する' }).click();
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'すべて削除する' }).click();
    await page.getByText('登録情報をすべて削除しました。').waitFor();
    await shot(page, '22-liff-withdrawn');
    let n = 1;
    for (let i = 0; i < 40 && n !== 0; i++) {
      n = await count();
      if (n !== 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(n, 0);
  });

  await phone.close();
}
