// The GraphQL-over-HTTP specification's reference audit (graphql-http's
// server audits: every MUST, SHOULD and MAY item) against both endpoints of
// the running stack. Any item that is not "ok" fails, with its reason.
import assert from 'node:assert/strict';
import { serverAudits } from 'graphql-http';

export async function run({ stack, test }) {
  for (const endpoint of ['/graphql', '/liff/graphql']) {
    await test(`GraphQL over HTTP の監査項目をすべて満たす（${endpoint}）`, async () => {
      const failed = [];
      for (const audit of serverAudits({ url: `${stack.base}${endpoint}`, fetchFn: fetch })) {
        const result = await audit.fn();
        if (result.status !== 'ok') failed.push(`${result.status}: ${audit.name} — ${result.reason}`);
      }
      assert.deepEqual(failed, []);
    });
  }
}
