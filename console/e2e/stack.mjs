// Starts the real stack for browser tests: a fresh PostgreSQL database, a Redis
// key prefix, line-fake and `tenohira serve --with-workers` serving the built console.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PG = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
// Binaries from the workspace's target directory (CARGO_TARGET_DIR when set, as cargo does).
const target = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function firstLine(child) {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
}

async function waitReady(url) {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('tenohira did not become ready');
}

// Holds the personal-data permissions it hands to other accounts: only such a
// holder (with a second factor) may grant them.
export const ADMIN = { loginId: 'admin', password: 'Chichibu-Night-2026' };

export async function startStack() {
  const id = randomBytes(6).toString('hex');
  const db = `tenohira_e2e_${id}`;
  execFileSync('psql', [`${PG}/postgres`, '-qc', `CREATE DATABASE ${db}`]);
  const fake = spawn(path.join(target, 'debug/line-fake'), ['--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fakeUrl = (await firstLine(fake)).split(' ').pop();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: `${PG}/${db}`,
    REDIS_URL: 'redis://127.0.0.1:6379',
    TENOHIRA_ENV: 'production',
    TENOHIRA_LISTEN: `127.0.0.1:${port}`,
    TENOHIRA_PUBLIC_URL: base,
    TENOHIRA_SESSION_SECRET: randomBytes(24).toString('hex'),
    TENOHIRA_REDIS_PREFIX: `e2e:${id}:`,
    TENOHIRA_MIGRATE_ON_START: 'true',
    TENOHIRA_CONSOLE_DIR: path.join(root, 'console/dist'),
    TENOHIRA_LIFF_DIR: path.join(root, 'liff/dist'),
    TENOHIRA_SANDBOX_LOGIN_URL: `${fakeUrl}/_fake/login`,
    TENOHIRA_LOG: 'warn',
    TENOHIRA_MAILIN_HTTP_SECRET: 'e2e-mail-intake-secret',
    TENOHIRA_MEDIA_DIR: `/tmp/tenohira-e2e-media-${id}`,
    TENOHIRA_KEK: `local:/tmp/tenohira-e2e-kek-${id}.key`,
    // LINE fetches media over HTTPS only; line-fake checks the URL and does not fetch it.
    TENOHIRA_MEDIA_PUBLIC_URL: 'https://media.sandbox.tenohira.invalid',
    TENOHIRA_LINE_API_BASE: fakeUrl,
    TENOHIRA_LINE_DATA_API_BASE: fakeUrl,
    TENOHIRA_LINE_JWKS_URL: `${fakeUrl}/oauth2/v2.1/certs`,
    TENOHIRA_LINE_CHANNEL_ACCESS_TOKEN: 'sandbox-channel-access-token',
    TENOHIRA_LINE_CHANNEL_SECRET: 'sandbox-channel-secret',
    TENOHIRA_LINE_LOGIN_CHANNEL_ID: '1650000000',
    E2E_ADMIN_PASSWORD: ADMIN.password,
  };
  const bin = path.join(target, 'debug/tenohira');
  // Production never makes its key file itself: created once, as an operator would.
  execFileSync(bin, ['kek', 'create-local'], { env, stdio: 'ignore' });
  const server = spawn(bin, ['serve', '--with-workers'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  await waitReady(base);
  await fetch(`${fakeUrl}/_fake/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webhookUrl: `${base}/line/webhook` }) });
  execFileSync(bin, ['staff', 'create', '--login-id', ADMIN.loginId, '--display-name', '管理者', '--permissions', 'staff.manage,audit.read,friends.read,friend.export,segment.manage,delivery.create,delivery.send,delivery.approve,chatbot.manage,richmenu.manage,mailin.manage,card.pii.read,card.pii.export,card.push', '--password-env', 'E2E_ADMIN_PASSWORD'], { env, stdio: 'ignore' });

  return {
    base,
    fakeUrl,
    async stop() {
      server.kill('SIGTERM');
      fake.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      execFileSync('psql', [`${PG}/postgres`, '-qc', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`]);
      execFileSync('rm', ['-rf', `/tmp/tenohira-e2e-media-${id}`, `/tmp/tenohira-e2e-kek-${id}.key`]);
      execFileSync('redis-cli', ['--scan', '--pattern', `e2e:${id}:*`]).toString().split('\n').filter(Boolean).forEach((k) => execFileSync('redis-cli', ['del', k]));
    },
  };
}
