// Rich menus in the console and on a resident's phone: staff start a tab
// set from the template, draw an area by dragging (overlap and
// out-of-bounds shown at once), redraw an image from edited texts, preview
// it, publish it; a sandbox resident sees it and switches tabs on
// line-fake's phone page; the disaster switch changes the resident's menu
// and back; the tab tap is counted in the statistics.
import assert from 'node:assert/strict';
import { adminContext } from './admin.mjs';
import { Shell, shot } from './pages/index.mjs';
import { fake, staffApi } from './helpers.mjs';

async function until(what, check) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function run({ browser, stack, test }) {
  const { context, page } = await adminContext(browser, stack.base);
  const api = await staffApi(stack.base);
  const { userId } = await fake(stack, '/_fake/users', { displayName: '川越 五郎' });
  await fake(stack, `/_fake/users/${userId}/follow`, {});
  const shownTo = async () => (await fake(stack, `/_fake/users/${userId}/richmenu`)).richMenuId;

  await test('職員がタブ付きメニューを作り、領域をドラッグで描き、プレビューして公開する', async () => {
    await new Shell(page).go('リッチメニュー');
    await page.getByRole('heading', { name: 'リッチメニュー', exact: true }).waitFor();
    await page.getByLabel('新しいメニューの名前').fill('県のメニュー（試験）');
    await page.getByLabel('タブあり（くらし・防災／子育て／手続き）').check();
    await page.getByRole('button', { name: 'テンプレートから作成' }).click();
    await page.getByText('メニューを作成しました').first().waitFor();
    const editor = page.getByRole('region', { name: '県のメニュー（試験）' });
    await editor.getByLabel('表示する相手').selectOption('DEFAULT');

    // A drag over the tiles: a new area, shown at once as overlapping them.
    const canvas = editor.getByTestId('rm-canvas');
    await canvas.locator('img').waitFor();
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.7, { steps: 5 });
    await page.mouse.up();
    const added = editor.getByRole('group', { name: '領域10' });
    await added.getByText(/^領域.*と重なっています$/).waitFor();
    // Typed out of the image: said at once too.
    await added.getByLabel('X').fill('2450');
    await added.getByText('画像からはみ出しています').waitFor();
    await shot(page, '60-richmenu-editor-problems');
    await added.getByRole('button', { name: '領域を削除' }).click();
    assert.equal(await editor.getByRole('group', { name: '領域10' }).count(), 0);

    // A label changed and the image drawn again from the template.
    await editor.getByLabel('タイル1のラベル').fill('防災・気象');
    await editor.getByRole('button', { name: '画像を作り直す' }).click();
    await page.getByText('画像を作り直しました').first().waitFor();

    // The phone preview switches tabs like LINE.
    const phone = editor.getByTestId('rm-phone');
    await phone.getByRole('img', { name: 'くらし・防災' }).waitFor();
    await phone.getByRole('button', { name: '子育て' }).click();
    await phone.getByRole('img', { name: '子育て' }).waitFor();
    await shot(page, '61-richmenu-preview');

    await editor.getByRole('button', { name: '下書きを保存' }).click();
    await page.getByText('第1版を下書きとして保存しました').first().waitFor();
    await editor.getByRole('row', { name: /第1版/ }).getByRole('button', { name: 'この版を公開' }).click();
    await editor.getByText('公開しました').waitFor({ timeout: 20_000 });
    await editor.getByRole('row', { name: /第1版/ }).getByText('公開中').waitFor();
    await shot(page, '62-richmenu-published');
  });

  await test('住民のトーク画面に新しいメニューが出て、タブを切り替えられる', async () => {
    await until('the resident to get the default menu', async () => (await shownTo()) !== null);
    const phone = await context.newPage();
    await phone.goto(`${stack.fakeUrl}/_fake/users/${userId}/phone`);
    const menu = phone.locator('.menu');
    assert.equal(await menu.getAttribute('data-source'), 'default');
    const first = await menu.getAttribute('data-menu');
    // The second tab's area (the tab header's second cell).
    await phone.locator('.area[data-area="1"]').click();
    await phone.waitForURL(/phone$/);
    await until('the tab to switch', async () => (await phone.locator('.menu').getAttribute('data-source')) === 'switched');
    assert.notEqual(await phone.locator('.menu').getAttribute('data-menu'), first);
    await shot(phone, '63-richmenu-resident-tab');
    await phone.close();
  });

  await test('災害モードをオンにすると住民のメニューが災害時メニューになり、オフで戻る', async () => {
    // A disaster menu, through the API as an integration would make it.
    const made = await api('mutation { createRichMenuFromTemplate(name: "災害時（試験）", withTabs: false) { menu { id versions { definition { pages { name width height chatBarText image areas { x y width height action { kind liff uri text data tab label } } } } } } } }');
    const m = made.createRichMenuFromTemplate.menu;
    await api('mutation($id: Int!, $d: RichMenuDefinitionInput!) { saveRichMenuDraft(id: $id, input: {name: "災害時（試験）", audience: DISASTER, definition: $d}) { version } }', { id: m.id, d: m.versions[0].definition });
    const p = await api('mutation($id: Int!) { publishRichMenu(id: $id, version: 1) { id } }', { id: m.id });
    await until('the disaster menu to go live', async () => (await api('query($id: Int!) { richMenuPublish(id: $id) { state } }', { id: p.publishRichMenu.id })).richMenuPublish.state === 'DONE');
    const before = await shownTo();

    await page.reload();
    const sw = page.getByRole('region', { name: '災害モード' });
    await sw.getByRole('button', { name: '災害モードをオンにする' }).click();
    await sw.getByRole('alertdialog').getByRole('button', { name: 'はい' }).click();
    await sw.getByTestId('rm-disaster-state').getByText('災害モード：オン').waitFor({ timeout: 20_000 });
    await until('the resident to see the disaster menu', async () => (await shownTo()) !== before);
    await shot(page, '64-richmenu-disaster-on');
    await sw.getByRole('button', { name: '災害モードをオフにする' }).click();
    await sw.getByRole('alertdialog').getByRole('button', { name: 'はい' }).click();
    await sw.getByTestId('rm-disaster-state').getByText('災害モード：オフ').waitFor({ timeout: 20_000 });
    await until('the resident to have their menu back', async () => (await shownTo()) === before);
  });

  await test('タブのタップが統計に数えられ、CSVで取り出せる', async () => {
    const table = page.getByTestId('rm-taps');
    await until('the tap to be counted', async () => {
      await page.reload();
      await page.getByRole('button', { name: '県のメニュー（試験） を開く' }).click();
      await page.getByRole('heading', { name: 'タップ数' }).waitFor();
      await page.waitForLoadState('networkidle');
      // The template's tab areas are labelled with the tab's name.
      return (await table.getByRole('cell', { name: '子育て', exact: true }).count()) > 0;
    });
    const href = await page.getByRole('link', { name: 'CSVダウンロード' }).getAttribute('href');
    assert.match(href, /^\/exports\/rich-menu-taps\.csv\?menu=\d+&from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d$/);
    await shot(page, '65-richmenu-taps');
  });
  await context.close();
}
