/**
 * The notifications key through the real config loader: defaults, the tagged union of target types, and the
 * rules beyond the schema (https except loopback, unique names, no SMTP password in clear text, secret policy).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, secretRefs } from '../../daemon/src/config/index.js';
import { BASE, TempDir } from '../config/helpers.js';

const dir = new TempDir();
afterAll(() => dir.remove());

let n = 0;
async function load(notifications: string[]) {
  const file = dir.write(`c${n++}.yaml`, `${BASE}    notifications:\n${notifications.map((l) => `      ${l}`).join('\n')}\n`);
  return loadConfig(file);
}
async function problems(notifications: string[]) {
  const r = await load(notifications);
  return r.ok ? [] : r.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
}

const WEBHOOK = ['- name: ops-webhook', '  type: webhook', '  events: [failed, held, recovered]', '  url: https://hooks.example.org/rosterd', '  signingSecret: { env: ROSTERD_WEBHOOK_KEY }'];
const SLACK = ['- name: slack', '  type: slack', '  events: [failed, held]', '  webhookUrl: { file: ./slack-url }'];
const EMAIL = [
  '- name: it-email',
  '  type: email',
  '  events: [failed, held, succeeded_with_issues]',
  '  smtp: { host: smtp.example.org, username: rosterd, password: { env: ROSTERD_SMTP_PASSWORD } }',
  '  from: rosterd@example.org',
  '  to: [it@example.org]',
];

describe('notifications in the config', () => {
  it('defaults to none', async () => {
    const file = dir.write('none.yaml', BASE);
    const r = await loadConfig(file);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.integrations[0]!.notifications).toEqual([]);
  });

  it('loads the three target types with their defaults, secret files made absolute, and lists their secrets', async () => {
    const r = await load([...WEBHOOK, ...SLACK, ...EMAIL]);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const [webhook, slack, email] = r.config.integrations[0]!.notifications;
    expect(webhook).toEqual({ name: 'ops-webhook', type: 'webhook', events: ['failed', 'held', 'recovered'], url: 'https://hooks.example.org/rosterd', signingSecret: { env: 'ROSTERD_WEBHOOK_KEY' }, timeoutSeconds: 10 });
    expect(slack).toMatchObject({ type: 'slack', webhookUrl: { file: `${dir.path}/slack-url` } });
    expect(email).toMatchObject({ type: 'email', smtp: { host: 'smtp.example.org', port: 587, starttls: true, secure: false, timeoutSeconds: 10 } });
    expect(secretRefs(r.config).map((s) => s.path.join('.'))).toEqual([
      'integrations.0.sis.clientSecret',
      'integrations.0.notifications.0.signingSecret',
      'integrations.0.notifications.1.webhookUrl',
      'integrations.0.notifications.2.smtp.password',
    ]);
  });

  it('reports only the chosen type\'s problems, with a suggestion for a misspelt key', async () => {
    expect(await problems(['- name: slack', '  type: slack', '  events: [failed]', '  webhookURL: { env: ROSTERD_SLACK_URL }'])).toEqual([
      '12:9 integrations[0].notifications[0].webhookUrl: "webhookUrl" is required',
      '15:9 integrations[0].notifications[0].webhookURL: unknown key "webhookURL"; did you mean "webhookUrl"?',
    ]);
  });

  it('names the allowed types and events', async () => {
    expect(await problems(['- name: x', '  type: teams', '  events: [failed]'])).toEqual([
      '13:15 integrations[0].notifications[0].type: must be one of "webhook", "slack", "email"',
    ]);
    expect(await problems([...SLACK.slice(0, 2), '  events: [failed, deleted]', SLACK[3]!])).toEqual([
      expect.stringMatching(/^14:26 integrations\[0\]\.notifications\[0\]\.events\[1\]: must be one of "failed", "held", "succeeded_with_issues", "succeeded", "recovered"$/),
    ]);
  });

  it('refuses a literal secret where a reference belongs, without echoing it', async () => {
    const out = await problems([...WEBHOOK.slice(0, 4), '  signingSecret: s3cr3t-value']);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/signingSecret: signingSecret must be a secret reference such as \{ env: ROSTERD_SPRINGFIELD_SIGNING_SECRET \}/);
    expect(out[0]).not.toContain('s3cr3t-value');
  });

  it('allows http only on loopback, and no credentials in the webhook URL', async () => {
    expect(await problems([...WEBHOOK.slice(0, 3), '  url: http://127.0.0.1:9000/hook', WEBHOOK[4]!])).toEqual([]);
    expect(await problems([...WEBHOOK.slice(0, 3), '  url: http://hooks.example.org/rosterd', WEBHOOK[4]!])).toEqual([
      '15:14 integrations[0].notifications[0].url: must use https: (http: is allowed only for loopback hosts such as 127.0.0.1, not hooks.example.org)',
    ]);
    const withUser = await problems([...WEBHOOK.slice(0, 3), '  url: https://bob:hunter22@hooks.example.org/x', WEBHOOK[4]!]);
    expect(withUser).toEqual(['15:14 integrations[0].notifications[0].url: must not contain a user name or password']);
  });

  it('wants names unique within the integration', async () => {
    expect(await problems([...SLACK, ...SLACK])).toEqual([
      '16:15 integrations[0].notifications[1].name: notification name "slack" is already used by notifications[0] of this integration; names must be unique within an integration',
    ]);
  });

  it('never lets an SMTP password cross a network in clear text, and pairs username with password', async () => {
    const smtp = (s: string) => [...EMAIL.slice(0, 3), `  smtp: ${s}`, ...EMAIL.slice(4)];
    expect(await problems(smtp('{ host: smtp.example.org, starttls: false, username: u, password: { env: ROSTERD_SMTP_PASSWORD } }'))).toEqual([
      expect.stringMatching(/^15:51 integrations\[0\]\.notifications\[0\]\.smtp\.starttls: starttls: false with secure: false would send the mail and the password in clear text to smtp\.example\.org/),
    ]);
    expect(await problems(smtp('{ host: 127.0.0.1, port: 25, starttls: false }'))).toEqual([]);
    expect(await problems(smtp('{ host: smtp.example.org, port: 465, secure: true, username: u, password: { env: ROSTERD_SMTP_PASSWORD } }'))).toEqual([]);
    expect(await problems(smtp('{ host: smtp.example.org, username: u }'))).toEqual([
      expect.stringMatching(/smtp\.username: username is set without a password/),
    ]);
  });

  it('applies the secret policy to notification secrets', async () => {
    const out = await problems([...WEBHOOK.slice(0, 4), '  signingSecret: { env: HOME }']);
    expect(out).toEqual([expect.stringMatching(/signingSecret: secret reference env HOME is not allowed: environment variable names must start with ROSTERD_/)]);
  });
});
