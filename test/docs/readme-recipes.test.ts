/**
 * The README's webhook verification recipe is code receivers copy: it must accept what rosterd really signs
 * (daemon/src/notify/webhook.ts) and reject a changed body, a wrong key and a stale timestamp.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { signature } from '../../daemon/src/notify/webhook.js';

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'rosterd-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Verify = (headers: Record<string, string>, rawBody: string, key: string) => boolean;

async function loadRecipe(): Promise<Verify> {
  const notifications = README.slice(README.indexOf('## Notifications'), README.indexOf('\n## ', README.indexOf('## Notifications') + 1));
  const block = /```js\n([\s\S]*?)```/.exec(notifications.replace(/^ {2}/gm, ''));
  expect(block, 'a ```js verification recipe in the README Notifications section').not.toBeNull();
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, block![1]!);
  return ((await import(pathToFileURL(file).href)) as { verifyRosterd: Verify }).verifyRosterd;
}

describe('README webhook verification recipe', () => {
  it("accepts rosterd's own signature and rejects tampering, a wrong key and replays", async () => {
    const verify = await loadRecipe();
    const key = 'k3y-for-the-test';
    const body = JSON.stringify({ integration: 'springfield', job: 'classes', runId: 7, status: 'held', kind: 'held' });
    const now = String(Math.floor(Date.now() / 1000));
    const headers = { 'x-rosterd-timestamp': now, 'x-rosterd-signature': signature(key, now, body) };
    expect(verify(headers, body, key)).toBe(true);
    expect(verify(headers, body.replace('held', 'succeeded'), key)).toBe(false);
    expect(verify(headers, body, 'another-key')).toBe(false);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    expect(verify({ 'x-rosterd-timestamp': old, 'x-rosterd-signature': signature(key, old, body) }, body, key)).toBe(false);
    expect(verify({ 'x-rosterd-timestamp': now }, body, key)).toBe(false);
  });
});
