// Page objects: one per screen, speaking the screen's Japanese labels.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export class SignInPage {
  constructor(page, base) {
    this.page = page;
    this.base = base;
  }
  async open() {
    await this.page.goto(`${this.base}/console/signin`);
  }
  async signIn(loginId, password) {
    await this.page.getByLabel('ログインID').fill(loginId);
    await this.page.getByLabel('パスワード').fill(password);
    await this.page.getByRole('button', { name: 'サインイン' }).click();
  }
  async enterCode(code) {
    await this.page.getByLabel('確認コード').fill(code);
    await this.page.getByRole('button', { name: '確認' }).click();
  }
  async totpSecret() {
    return (await this.page.getByTestId('totp-secret').textContent()).trim();
  }
  error() {
    return this.page.getByRole('alert');
  }
}

export class Shell {
  constructor(page) {
    this.page = page;
  }
  nav() {
    return this.page.getByRole('navigation', { name: '管理メニュー' });
  }
  async navLabels() {
    return (await this.nav().getByRole('link').allTextContents()).map((s) => s.trim());
  }
  async go(label) {
    await this.nav().getByRole('link', { name: label, exact: true }).click();
  }
  async signOut() {
    await this.page.getByRole('button', { name: 'サインアウト' }).click();
  }
  account() {
    return this.page.getByTestId('account');
  }
}

export class PasswordPage {
  constructor(page) {
    this.page = page;
  }
  async change(current, next) {
    await this.page.getByLabel(/^現在のパスワード＊?$/).fill(current);
    await this.page.getByLabel(/^新しいパスワード＊?$/).fill(next);
    await this.page.getByLabel(/^新しいパスワード（確認）＊?$/).fill(next);
    await this.page.getByRole('button', { name: '保存' }).click();
  }
}

export class TeamsPage {
  constructor(page) {
    this.page = page;
  }
  async create(name, description) {
    await this.page.getByLabel('チーム名').fill(name);
    await this.page.getByLabel('説明').fill(description);
    await this.page.getByRole('button', { name: '作成' }).click();
  }
  row(name) {
    return this.page.getByRole('row').filter({ hasText: name });
  }
}

export class StaffListPage {
  constructor(page) {
    this.page = page;
  }
  async newAccount() {
    await this.page.getByRole('link', { name: '新しい職員アカウント' }).click();
    // The list's search box (ログインID・氏名で検索) answers to the form's
    // labels too: fill nothing before the form is on screen.
    await this.page.getByRole('heading', { name: '職員アカウントの作成' }).waitFor();
  }
  async search(text) {
    await this.page.getByLabel('ログインID・氏名で検索').fill(text);
    await this.page.getByRole('button', { name: '検索' }).click();
  }
  rows() {
    return this.page.locator('tbody tr');
  }
  async openImport() {
    await this.page.getByRole('link', { name: 'CSV一括登録' }).click();
  }
}

export class StaffFormPage {
  constructor(page) {
    this.page = page;
  }
  async fill({ loginId, displayName, team, permissions }) {
    await this.page.getByLabel('ログインID').fill(loginId);
    await this.page.getByLabel('氏名').fill(displayName);
    if (team) await this.page.getByLabel('所属チーム').selectOption({ label: team });
    for (const p of permissions) await this.page.locator(`input[name="permission"][value="${p}"]`).check();
  }
  async submit() {
    await this.page.getByRole('button', { name: 'アカウントを作成' }).click();
  }
  async temporaryPassword() {
    return (await this.page.getByTestId('temporary-password').textContent()).trim();
  }
}

export class AuditPage {
  constructor(page) {
    this.page = page;
  }
  async filterAction(action) {
    await this.page.getByLabel('操作', { exact: true }).fill(action);
    await this.page.getByRole('button', { name: '絞り込む' }).click();
  }
  rows() {
    return this.page.locator('table.audit tbody tr');
  }
  async downloadCsv() {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByRole('link', { name: 'CSVで出力' }).click()]);
    return download;
  }
}

export class ImportPage {
  constructor(page) {
    this.page = page;
  }
  async preview(filePath) {
    await this.page.getByLabel('CSVファイル').setInputFiles(filePath);
    await this.page.getByRole('button', { name: '内容を確認' }).click();
  }
  applyButton() {
    return this.page.getByRole('button', { name: '登録する' });
  }
  errorRows() {
    return this.page.locator('tr.row-error');
  }
}
