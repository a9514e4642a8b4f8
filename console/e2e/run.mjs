// Browser tests: starts the real stack, drives Debian's Chromium with
// playwright-core (no browser download), prints one line per test and the
// closing "N passed, N failed" line. Screenshots go to console/test-artifacts/.
import { chromium } from 'playwright-core';
import { startStack } from './stack.mjs';
import { run as consoleSpec } from './console.spec.mjs';
import { run as liffSpec } from './liff.spec.mjs';
import { run as deliverySpec } from './delivery.spec.mjs';
import { run as cardSpec } from './card.spec.mjs';
import { run as chatbotSpec } from './chatbot.spec.mjs';
import { run as richmenuSpec } from './richmenu.spec.mjs';
import { run as mailinSpec } from './mailin.spec.mjs';
import { run as surveySpec } from './survey.spec.mjs';
import { run as graphqlHttpSpec } from './graphql-http.spec.mjs';
import { shot } from './pages/index.mjs';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
let passed = 0;
let failed = 0;

async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n${e?.stack ?? e}`);
    await screenshotEverything(`failed-${failed}`);
  }
}

// What every open page showed when a test failed (test-artifacts/failed-N-M.png).
async function screenshotEverything(prefix) {
  const pages = browser?.contexts().flatMap((c) => c.pages()) ?? [];
  for (const [i, page] of pages.entries()) {
    await shot(page, `${prefix}-${i + 1}`).catch(() => {});
  }
  if (pages.length) console.log(`     screenshots: test-artifacts/${prefix}-1…${pages.length}.png`);
}

const stack = await startStack();
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  await graphqlHttpSpec({ stack, test });
  await consoleSpec({ browser, stack, test });
  await liffSpec({ browser, stack, test });
  await deliverySpec({ browser, stack, test });
  await cardSpec({ browser, stack, test });
  await chatbotSpec({ browser, stack, test });
  await richmenuSpec({ browser, stack, test });
  await mailinSpec({ browser, stack, test });
  await surveySpec({ browser, stack, test });
} finally {
  await browser.close();
  await stack.stop();
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
