// The residents' LIFF page in a phone-sized Chromium: a simulated resident
// follows, opens 受信設定 through the sandbox LINE login, registers residence
// and interests, and staff see the segment count change. Then withdrawal.
import assert from 'node:assert/strict';
import { adminContext } from './admin.mjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freshCode } from './totp.mjs';
import { ARTIFACTS, PasswordPage, Shell, SignInPage, shot } from './pages/index.mjs';
import { fake, staffApi } from './helpers.mjs';

export async function run({ browser, stack, test }) {
  const gql = await staffApi(stack.base);
  const residence = await gql('mutation { createAttribute(input: {name: "居住地域", kind: MUNICIPALITY, options: ["さいたま市", "川口市", "川越市"]}) { options { id } } }');
  const kawaguchi = residence.createAttribute.options[1].id;
  await gql('mutation { createAttribute(input: {name: "関心のある分野", kind: MULTIPLE, options: ["防災", "子育て", "観光"]}) { id } }');
  await gql('mutation { createCategoryNode(name: "防災") { id } }');
  const count = async () => (await gql('query($o: Int!) { audienceCount(expression: {residenceIn: [$o]}) }', { o: kawaguchi })).audienceCount;

  const { userId } = await fake(stack, '/_fake/users', { displayName: '埼玉 花子' });
  await fake(stack, `/_fake/users/${userId}/follow`, {});

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'ja-JP' });
  const page = await phone.newPage();

  await test('住民がLINEログインを経て受信設定を開く', async () => {
    await page.goto(`${stack.base}/liff/`);
    // The sandbox login lists simulated residents.
    await page.getByRole('heading', { name: 'LINEログイン（サンドボックス）' }).waitFor();
    await page.getByRole('link', { name: /埼玉 花子/ }).click();
    await page.getByRole('heading', { name: '受信設定' }).waitFor();
    // Nothing registered yet: nothing to delete, and the button registers.
    assert.equal(await page.getByRole('link', { name: '登録した情報をすべて削除する' }).count(), 0);
    await page.getByRole('button', { name: '登録する' }).waitFor();
    await shot(page, '20-liff-settings');
  });

  await test('住民が居住地域と関心分野を登録すると、職員の見るセグメント数が増える', async () => {
    assert.equal(await count(), 0);
    await page.getByRole('radio', { name: '川口市' }).check();
    await page.getByRole('checkbox', { name: '防災' }).first().check();
    await page.getByRole('checkbox', { name: '観光' }).check();
    await page.getByRole('button', { name: '登録する' }).click();
    await page.getByText('受信設定を登録しました。').waitFor();
    // Done: 閉じる returns to the chat (in the sandbox browser the page says to close it).
    await page.getByRole('button', { name: '閉じる' }).click();
    await page.getByText('このページを閉じて、LINEのトーク画面に戻ってください。').waitFor();
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
    // Registered: the button changes, and deleting is offered.
    await page.getByRole('button', { name: '変更する' }).waitFor();
    await page.getByRole('link', { name: '登録した情報をすべて削除する' }).waitFor();
  });

  await test('職員がセグメント作成画面で条件を選ぶと対象人数が変わる', async () => {
    const { context: staff, page: p } = await adminContext(browser, stack.base);
    await new Shell(p).go('セグメント');
    await p.getByRole('heading', { name: 'セグメント', exact: true }).waitFor();
    const live = p.getByTestId('audience-count');
    const root = p.getByTestId('group-0');
    await root.getByLabel('条件を追加').last().selectOption({ label: '居住地域' });
    await root.getByRole('button', { name: '追加', exact: true }).last().click();
    await p.getByRole('checkbox', { name: 'さいたま市' }).check();
    await p.waitForFunction(() => document.querySelector('[data-testid="audience-count"]')?.textContent === '0');
    await p.getByRole('checkbox', { name: '川口市' }).check();
    await p.waitForFunction(() => document.querySelector('[data-testid="audience-count"]')?.textContent === '1');
    assert.equal(await live.textContent(), '1');
    await p.getByLabel(/^セグメント名/).fill('川口市・さいたま市の住民');
    await p.getByRole('button', { name: 'この条件で保存' }).click();
    await p.getByText('セグメントを保存しました').waitFor();
    await p.getByRole('cell', { name: '川口市・さいたま市の住民', exact: true }).waitFor();
    // Nested: (川口市 or さいたま市) and not (関心: 観光) — the resident chose 観光.
    await root.getByRole('button', { name: 'グループを追加' }).click();
    const inner = p.getByTestId('group-1');
    await inner.getByLabel('条件を追加').selectOption({ label: '関心のある分野' });
    await inner.getByRole('button', { name: '追加', exact: true }).click();
    await inner.getByRole('checkbox', { name: '観光' }).check();
    await p.waitForFunction(() => document.querySelector('[data-testid="audience-count"]')?.textContent === '1');
    await inner.getByRole('checkbox', { name: 'この条件に当てはまらない人（NOT）' }).check();
    await p.waitForFunction(() => document.querySelector('[data-testid="audience-count"]')?.textContent === '0');
    await shot(p, '23-segment-builder');
    // A year outside four digits is left out until complete; an inverted range is the server's to refuse.
    await root.getByLabel('条件を追加').last().selectOption({ label: '生まれ年' });
    await root.getByRole('button', { name: '追加', exact: true }).last().click();
    await p.getByLabel('生まれ年（から）').fill('2000');
    await p.getByLabel('生まれ年（まで）').fill('1990');
    await p.locator('.live-count .field-error').waitFor();
    await p.getByRole('button', { name: '条件を削除' }).last().click();
    await p.waitForFunction(() => document.querySelector('[data-testid="audience-count"]')?.textContent === '0');
    await new Shell(p).go('友だち一覧');
    await p.getByLabel('セグメントで絞り込む').selectOption({ label: '川口市・さいたま市の住民' });
    await p.getByText('1〜1件 / 全1件').waitFor();
    await staff.close();
  });

  await test('保存したセグメントを開いて条件と名前を変えて保存し、削除できる', async () => {
    await gql('mutation($o: Int!) { saveSegment(input: {name: "川口市の住民（仮）", expression: {residenceIn: [$o]}}) { id } }', { o: kawaguchi });
    const { context: staff, page: p } = await adminContext(browser, stack.base);
    await new Shell(p).go('セグメント');
    await p.getByRole('button', { name: '「川口市の住民（仮）」を開く' }).click();
    await p.getByText('セグメント「川口市の住民（仮）」を編集中').waitFor();
    assert.ok(await p.getByRole('checkbox', { name: '川口市' }).isChecked(), 'the saved condition is back in the builder');
    await p.waitForFunction(() => document.querySelector('[data-testid="audience-count"]')?.textContent === '1');
    await p.getByRole('checkbox', { name: '川越市' }).check();
    await p.getByLabel(/^セグメント名/).fill('川口市・川越市の住民');
    await p.getByRole('button', { name: '変更を保存' }).click();
    await p.getByText('セグメントを変更しました').waitFor();
    // The toast would cover the list's lower corner: closed as a user would.
    await p.getByTestId('toasts').getByRole('button', { name: '通知を閉じる' }).click();
    // The list states each segment's conditions in words.
    const row = p.getByRole('row').filter({ has: p.getByRole('cell', { name: '川口市・川越市の住民', exact: true }) });
    await row.getByRole('cell', { name: '居住地域が 川口市・川越市 のいずれか' }).waitFor();
    assert.equal(await p.getByRole('cell', { name: '川口市の住民（仮）', exact: true }).count(), 0, 'changed, not copied');
    await shot(p, '23-segment-edit');
    p.once('dialog', (d) => void d.accept());
    await p.getByRole('button', { name: '「川口市・川越市の住民」を削除' }).click();
    await p.getByText('セグメントを削除しました').waitFor();
    await p.getByRole('cell', { name: '川口市・川越市の住民', exact: true }).waitFor({ state: 'detached' });
    await staff.close();
  });

  await test('職員が項目と受信項目を編集し、使われている選択肢の削除でセグメントが要確認になる', async () => {
    const { context: staff, page: p } = await adminContext(browser, stack.base);
    await new Shell(p).go('属性・受信項目');
    await p.getByLabel('項目名').fill('ライフスタイル');
    await p.getByLabel('種類').selectOption({ label: '複数選択' });
    await p.getByLabel('選択肢（1行に1つ）').fill('子育て中\n学生');
    await p.getByRole('button', { name: '作成' }).click();
    await p.getByText('項目を作成しました').waitFor();
    // The new item is opened and marked, not lost at the end of the list; the others stay collapsed.
    const item = p.getByTestId('attribute-ライフスタイル');
    await p.waitForFunction(() => document.querySelector('[data-testid="attribute-ライフスタイル"]')?.matches('details[open].just-added'));
    assert.equal(await p.getByTestId('attribute-居住地域').evaluate((e) => e.open), false);
    await p.getByLabel('「ライフスタイル」に選択肢を追加').fill('介護中');
    await p.getByLabel('「ライフスタイル」に選択肢を追加').press('Enter');
    await item.getByText('介護中').waitFor();
    await p.getByLabel('追加する中カテゴリの名前').first().fill('避難情報');
    await p.getByRole('button', { name: '中カテゴリを追加' }).first().click();
    await p.getByText('避難情報').waitFor();
    // Searching by an option opens the item that holds it; its actions are behind 操作.
    await p.getByLabel('項目・選択肢を検索').fill('さいたま');
    const residence = p.getByTestId('attribute-居住地域');
    await residence.getByRole('button', { name: 'さいたま市 の操作' }).click();
    await shot(p, '24-catalog-menu');
    p.once('dialog', (d) => d.accept());
    await residence.getByRole('button', { name: '削除', exact: true }).click();
    await p.getByText('要確認になったセグメント：1件').waitFor();
    await shot(p, '24-catalog');
    await new Shell(p).go('セグメント');
    await p.getByText('条件に使われている選択肢「さいたま市」が削除されました').waitFor();
    await shot(p, '25-segment-needs-review');
    // Renaming and reordering items and options.
    await new Shell(p).go('属性・受信項目');
    await item.locator('summary').click();
    await item.getByRole('button', { name: '学生 の操作' }).click();
    await item.getByRole('button', { name: '名前を変更', exact: true }).click();
    await p.getByLabel('学生 の新しい名前').fill('学生（大学・専門学校）');
    await p.getByRole('button', { name: '保存', exact: true }).click();
    await item.getByText('学生（大学・専門学校）').waitFor();
    await p.getByRole('button', { name: 'ライフスタイル を上へ' }).click();
    await p.waitForFunction(() => {
      const names = [...document.querySelectorAll('[data-testid^="attribute-"]')].map((e) => e.dataset.testid);
      return names.indexOf('attribute-ライフスタイル') < names.indexOf('attribute-関心のある分野');
    });
    const tree = p.locator('.tree-editor').first();
    await tree.getByRole('button', { name: '防災 の名前を変更' }).click();
    await p.getByLabel('防災 の新しい名前').fill('防災・安全');
    await p.getByLabel('防災 の新しい名前').press('Enter');
    await p.locator('.tree-editor').getByText('防災・安全').waitFor();
    await staff.close();
  });

  await test('職員が登録フォームを組み立て、プレビューを見て公開する', async () => {
    await gql('mutation { createAttribute(input: {name: "よく使う窓口", kind: SINGLE, options: ["本庁", "東部", "西部", "南部", "北部", "秩父", "利根", "比企", "川越"]}) { id } }');
    const { context: staff, page: p } = await adminContext(browser, stack.base);
    await new Shell(p).go('登録フォーム');
    await p.getByRole('heading', { name: '登録フォーム' }).waitFor();
    await p.getByLabel('項目を追加').selectOption({ label: '関心のある分野' });
    await p.getByLabel('項目を追加').selectOption({ label: '居住地域' });
    await p.getByLabel('項目を追加').selectOption({ label: 'よく使う窓口' });
    await p.getByRole('button', { name: '居住地域 を上へ' }).click();
    await p.getByLabel('「居住地域」を必須にする').check();
    await p.getByLabel('「居住地域」の説明文（空欄なら項目の説明）').fill('お住まいの市町村を1つ選んでください');
    await p.getByLabel('防災・安全').check();
    const preview = p.getByTestId('form-preview');
    await preview.getByText('お住まいの市町村を1つ選んでください').waitFor();
    const legends = await preview.locator('legend').allTextContents();
    assert.deepEqual(legends, ['居住地域必須', '関心のある分野', 'よく使う窓口', '受け取りたい情報']);
    // Past eight choices the resident gets a dropdown, as the server decides (FormControl).
    assert.equal(await preview.getByTestId('preview-select-よく使う窓口').locator('option').count(), 10);
    await preview.getByText('避難情報').waitFor();
    await p.getByRole('button', { name: 'この内容で公開' }).click();
    await p.getByText('第1版を公開しました').waitFor();
    await p.getByRole('cell', { name: '居住地域（必須）、関心のある分野、よく使う窓口' }).waitFor();
    await shot(p, '26-form-builder');
    await staff.close();
  });

  await test('出力権限と二要素認証のある職員が受信設定をCSVで出力し、進み具合が表示され、操作ログに残る', async () => {
    const created = await gql(
      'mutation { createStaffAccount(input: {loginId: "exporter", displayName: "出力 担当", permissions: ["friends.read", "friend.export"]}) { temporaryPassword } }',
    );
    const staff = await browser.newContext({ acceptDownloads: true, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
    const p = await staff.newPage();
    const signIn = new SignInPage(p, stack.base);
    await signIn.open();
    await signIn.signIn('exporter', created.createStaffAccount.temporaryPassword);
    await p.getByRole('heading', { name: '二要素認証の設定' }).waitFor();
    await signIn.enterCode(await freshCode(await signIn.totpSecret(), null));
    await new PasswordPage(p).change(created.createStaffAccount.temporaryPassword, 'Kumagaya-Heat-2026');
    await p.getByRole('heading', { name: 'ダッシュボード' }).waitFor();
    await new Shell(p).go('友だち一覧');
    await p.getByLabel('出力の理由').fill('防災訓練の案内');
    const downloading = p.waitForEvent('download');
    await p.getByRole('button', { name: 'CSVで出力' }).click();
    const download = await downloading;
    await p.getByText('1件を出力しました').waitFor();
    await shot(p, '27-settings-export');
    const file = path.join(ARTIFACTS, 'friend-settings.csv');
    await download.saveAs(file);
    const csv = readFileSync(file);
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel');
    const lines = csv.toString('utf8').trim().split('\r\n');
    assert.equal(lines.length, 2, 'header and the one registered resident');
    assert.ok(lines[1].includes(userId), 'the LINE user id is in the export');
    const audit = await gql('{ auditLog(filter: {action: "friends.settings.export"}) { items { summary } } }');
    assert.equal(audit.auditLog.items.length, 1);
    assert.match(JSON.stringify(audit.auditLog.items[0].summary), /防災訓練の案内/);
    await staff.close();
  });

  await test('受信設定の誤りはその項目に表示され、最初の誤りにフォーカスが移り、親の受信項目は子を含むと示される', async () => {
    const birth = (await gql('mutation { createAttribute(input: {name: "生まれ年", kind: BIRTH_YEAR}) { id } }')).createAttribute.id;
    const form = await gql('{ registrationForms { items { attributeId required helpText } categoryRootIds } }');
    const current = form.registrationForms[0];
    const residenceId = (await gql('{ attributes { id name } }')).attributes.find((a) => a.name === '居住地域').id;
    await gql('mutation($i: RegistrationFormInput!) { publishRegistrationForm(input: $i) { version } }', {
      i: {
        items: [{ attributeId: birth, required: false }, ...current.items.map((x) => ({ attributeId: x.attributeId, required: x.attributeId === residenceId, helpText: x.helpText }))],
        categoryRootIds: current.categoryRootIds,
      },
    });
    const { userId: other } = await fake(stack, '/_fake/users', { displayName: '秩父 学' });
    await fake(stack, `/_fake/users/${other}/follow`, {});
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'ja-JP' });
    const p = await context.newPage();
    await p.goto(`${stack.base}/liff/`);
    await p.getByRole('link', { name: /秩父 学/ }).click();
    // Nine choices come as a dropdown; the birth year's accessible name is the label the resident reads.
    const office = p.getByRole('combobox', { name: 'よく使う窓口' });
    await office.waitFor();
    assert.equal(await office.locator('option').count(), 10);
    await p.getByRole('spinbutton', { name: '西暦（4桁）' }).fill('85');
    // A parent receive item includes its children: they show as included.
    await p.getByRole('checkbox', { name: '防災・安全' }).check();
    await p.getByText(/この中の\d+項目もすべて届きます/).waitFor();
    assert.ok(await p.getByRole('checkbox', { name: '避難情報' }).isChecked());
    assert.ok(await p.getByRole('checkbox', { name: '避難情報' }).isDisabled());
    await p.getByRole('button', { name: '登録する' }).click();
    await p.getByText('入力内容を確認してください。').waitFor();
    // Each message is at its question and describes it; the first has focus, on screen.
    const year = p.getByRole('spinbutton', { name: '西暦（4桁）' });
    assert.equal(await year.getAttribute('aria-invalid'), 'true');
    const yearMessage = p.locator(`#${await year.getAttribute('aria-describedby')}`);
    assert.match(await yearMessage.textContent(), /西暦4桁/);
    assert.ok(await year.evaluate((el) => el === document.activeElement), 'the first error has focus');
    const residenceGroup = p.getByRole('group', { name: /居住地域/ });
    const described = await residenceGroup.getAttribute('aria-describedby');
    assert.match(await p.locator(`#${described}`).textContent(), /「居住地域」は必須です/);
    await shot(p, '28-liff-field-errors');
    // Fixing the year moves focus on to the next error.
    await year.fill('1985');
    await p.getByRole('button', { name: '登録する' }).click();
    await p.waitForFunction(() => document.activeElement?.closest('fieldset')?.querySelector('legend')?.textContent?.startsWith('居住地域'));
    const inView = await p.evaluate(() => {
      const r = document.activeElement.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    });
    assert.ok(inView, 'the page scrolled to the field');
    await context.close();
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
