// Runs one spec against a fresh stack (while working on it): node e2e/only.mjs richmenu
import { chromium } from 'playwright-core';
import { startStack } from './stack.mjs';

const name = process.argv[2];
const { run } = await import(`./${name}.spec.mjs`);
const stack = await startStack();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
let failed = 0;
try {
  await run({
    browser,
    stack,
    test: async (title, fn) => {
      try {
        await fn();
        console.log(`ok   ${title}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${title}\n${e?.stack ?? e}`);
      }
    },
  });
} finally {
  await browser.close();
  await stack.stop();
}
process.exit(failed === 0 ? 0 : 1);
