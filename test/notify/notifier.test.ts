/**
 * The Notifier against real receivers on loopback: an HTTP server for the webhook and Slack targets and an SMTP
 * server (STARTTLS + AUTH) for email. Secrets come from files through the real resolver, so rotation is real too.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveSecret, secretPolicyFrom } from '../../daemon/src/config/secrets.js';
import type { EmailTarget, NotificationTarget, SlackTarget, WebhookTarget } from '../../daemon/src/config/types.js';
import { Notifier, type DeliveryReport, type NotifyEventKind } from '../../daemon/src/notify/index.js';
import { captureLogger, event, HttpReceiver, SmtpReceiver, Workdir } from './helpers.js';

const ALL_KINDS: NotifyEventKind[] = ['failed', 'held', 'succeeded_with_issues', 'succeeded', 'recovered'];

const canary = (what: string) => `canary-${what}-${randomBytes(8).toString('hex')}`;
const HMAC_KEY = canary('hmac');
const SLACK_TOKEN = canary('slack');
const SMTP_PASSWORD = canary('smtp');

const work = new Workdir();
const policy = secretPolicyFrom({}, { allowSecretDir: [work.path] });
const resolve = (ref: Parameters<typeof resolveSecret>[0]) => resolveSecret(ref, policy);

let http: HttpReceiver;
let smtp: SmtpReceiver;
let caFile: string;
let keyFile: string;
let slackUrlFile: string;
let passwordFile: string;

beforeAll(async () => {
  const cert = work.certificate();
  caFile = cert.caFile;
  http = await new HttpReceiver().start();
  smtp = await new SmtpReceiver({ key: cert.key, cert: cert.cert, username: 'rosterd', password: SMTP_PASSWORD }).start();
  keyFile = work.write('webhook-key', `${HMAC_KEY}\n`);
  slackUrlFile = work.write('slack-url', `${http.url(`/services/T01/B02/${SLACK_TOKEN}`)}\n`);
  passwordFile = work.write('smtp-password', SMTP_PASSWORD);
});

afterAll(async () => {
  await http.stop();
  await smtp.stop();
  work.remove();
});

afterEach(() => {
  http.requests.length = 0;
  http.status = () => 200;
  smtp.messages.length = 0;
  smtp.logins.length = 0;
});

function webhook(overrides: Partial<WebhookTarget> = {}): WebhookTarget {
  return { name: 'ops-webhook', type: 'webhook', events: ['failed', 'held', 'recovered'], url: http.url('/hooks/rosterd'), signingSecret: { file: keyFile }, timeoutSeconds: 5, ...overrides };
}
function slack(overrides: Partial<SlackTarget> = {}): SlackTarget {
  return { name: 'slack', type: 'slack', events: ['failed', 'held'], webhookUrl: { file: slackUrlFile }, timeoutSeconds: 5, ...overrides };
}
function email(overrides: Partial<EmailTarget['smtp']> = {}, events: NotifyEventKind[] = ['failed', 'held', 'succeeded_with_issues']): EmailTarget {
  return {
    name: 'it-email',
    type: 'email',
    events,
    smtp: { host: '127.0.0.1', port: smtp.port, starttls: true, secure: false, username: 'rosterd', password: { file: passwordFile }, caFile, timeoutSeconds: 5, ...overrides },
    from: 'rosterd@example.org',
    to: ['it@example.org', 'ops@example.org'],
  };
}

function notifier(targets: NotificationTarget[], extra: { attempts?: number } = {}) {
  const reports: DeliveryReport[] = [];
  const log = captureLogger();
  const n = new Notifier({ targets, resolveSecret: resolve, logger: log.logger, onDelivery: (r) => reports.push(r), retry: { attempts: extra.attempts ?? 3, baseDelayMs: 20 } });
  return { n, reports, log };
}

function verify(key: string, headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const timestamp = String(headers['x-rosterd-timestamp']);
  const expected = Buffer.from(`sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`);
  const given = Buffer.from(String(headers['x-rosterd-signature']));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

describe('Notifier', () => {
  it('gives each target exactly the events it asked for, over real HTTP and SMTP', async () => {
    const { n, reports } = notifier([webhook(), slack(), email()]);
    for (const kind of ALL_KINDS) n.notify(event(kind));
    await n.drain(10_000);

    expect(http.to('/hooks/rosterd').map((r) => r.headers['x-rosterd-event']).sort()).toEqual(['failed', 'held', 'recovered']);
    const slackBodies = http.to(`/services/T01/B02/${SLACK_TOKEN}`).map((r) => JSON.parse(r.body) as { text: string; blocks: unknown[] });
    expect(slackBodies.map((b) => b.text).sort()).toEqual([
      ':warning: [rosterd] springfield classes held: 812 students, 1 class would be removed',
      ':x: [rosterd] springfield classes failed: ROSTERD_SIS_AUTH_FAILED; nothing was changed',
    ]);
    expect(slackBodies.every((b) => Array.isArray(b.blocks) && b.blocks.length === 2)).toBe(true);
    expect(smtp.messages.map((m) => m.subject).sort()).toEqual([
      '[rosterd] springfield classes failed: ROSTERD_SIS_AUTH_FAILED; nothing was changed',
      '[rosterd] springfield classes held: 812 students, 1 class would be removed',
      '[rosterd] springfield classes synced with 4 data-quality issues',
    ]);
    expect(reports).toHaveLength(8);
    expect(reports.every((r) => r.ok && r.attempts === 1)).toBe(true);
  });

  it('signs the webhook so a receiver can verify it, with the documented JSON body and headers', async () => {
    const { n } = notifier([webhook()]);
    const before = Math.floor(Date.now() / 1000);
    n.notify(event('held'));
    await n.drain(5000);
    const [req] = http.to('/hooks/rosterd');
    expect(req).toBeDefined();
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['x-rosterd-event']).toBe('held');
    expect(Number(req!.headers['x-rosterd-timestamp'])).toBeGreaterThanOrEqual(before);
    expect(verify(HMAC_KEY, req!.headers, req!.body)).toBe(true);
    // A changed body, a changed timestamp or another key does not verify.
    expect(verify(HMAC_KEY, req!.headers, req!.body.replace('812', '0'))).toBe(false);
    expect(verify(HMAC_KEY, { ...req!.headers, 'x-rosterd-timestamp': String(before + 999) }, req!.body)).toBe(false);
    expect(verify('another-key', req!.headers, req!.body)).toBe(false);
    expect(JSON.parse(req!.body)).toEqual({
      integration: 'springfield',
      job: 'classes',
      runId: 42,
      status: 'held',
      kind: 'held',
      counts: { classes: { created: 2, updated: 5, deleted: 1 }, students: { created: 10, updated: 3, deleted: 812 } },
      topIssues: [],
      error: null,
      runUrl: 'http://127.0.0.1:8080/api/v1/runs/42',
      at: '2025-03-04T22:00:05.000Z',
    });
  });

  it('retries after a 500 and then succeeds, with the same delivery id and a fresh signature', async () => {
    http.status = (_path, nth) => (nth === 1 ? 500 : 200);
    const { n, reports, log } = notifier([webhook()]);
    n.notify(event('failed'));
    await n.drain(5000);
    const reqs = http.to('/hooks/rosterd');
    expect(reqs).toHaveLength(2);
    expect(reqs[0]!.headers['x-rosterd-delivery']).toBe(reqs[1]!.headers['x-rosterd-delivery']);
    expect(reqs.every((r) => verify(HMAC_KEY, r.headers, r.body))).toBe(true);
    expect(reports).toEqual([{ target: 'ops-webhook', type: 'webhook', ok: true, attempts: 2 }]);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      expect.stringMatching(/^notification to ops-webhook failed \(attempt 1 of 3\): the webhook at 127\.0\.0\.1:\d+ answered HTTP 500; retrying$/),
    ]);
  });

  it('gives up after the attempts are spent, and does not retry a permanent 404', async () => {
    http.status = (path) => (path === '/hooks/rosterd' ? 503 : 404);
    const { n, reports, log } = notifier([webhook(), slack()]);
    n.notify(event('failed'));
    await n.drain(5000);
    expect(http.to('/hooks/rosterd')).toHaveLength(3);
    expect(http.to(`/services/T01/B02/${SLACK_TOKEN}`)).toHaveLength(1);
    expect(reports.sort((a, b) => a.target.localeCompare(b.target))).toEqual([
      { target: 'ops-webhook', type: 'webhook', ok: false, attempts: 3 },
      { target: 'slack', type: 'slack', ok: false, attempts: 1 },
    ]);
    expect(log.text()).toContain('notification to slack failed after 1 attempt: the Slack webhook URL answered HTTP 404; the sync itself is unaffected');
  });

  it('never blocks the caller: a dead target returns at once, and drain is bounded', async () => {
    http.status = () => 0; // accept, never answer
    const { n, reports } = notifier([webhook({ timeoutSeconds: 30 }), slack({ timeoutSeconds: 30 })]);
    const t0 = performance.now();
    n.notify(event('failed'));
    const notifyMs = performance.now() - t0;
    expect(notifyMs).toBeLessThan(100);
    const t1 = performance.now();
    await n.drain(300);
    const drainMs = performance.now() - t1;
    expect(drainMs).toBeGreaterThanOrEqual(290);
    expect(drainMs).toBeLessThan(1500);
    // The abandoned deliveries are reported as failures, not left hanging.
    await vi.waitFor(() => expect(reports).toHaveLength(2), { timeout: 2000 });
    expect(reports.every((r) => !r.ok)).toBe(true);
  });

  it('reads secrets at delivery time: a rotated signing key is used without a new Notifier', async () => {
    const { n } = notifier([webhook()]);
    n.notify(event('failed'));
    await n.drain(5000);
    const rotated = canary('rotated');
    writeFileSync(keyFile, rotated);
    try {
      n.notify(event('held'));
      await n.drain(5000);
    } finally {
      writeFileSync(keyFile, HMAC_KEY);
    }
    const [first, second] = http.to('/hooks/rosterd');
    expect(verify(HMAC_KEY, first!.headers, first!.body)).toBe(true);
    expect(verify(rotated, second!.headers, second!.body)).toBe(true);
    expect(verify(HMAC_KEY, second!.headers, second!.body)).toBe(false);
  });

  it('sends each secret only to its own target: no canary in another target\'s payload or in the logs', async () => {
    const { n, log } = notifier([webhook({ events: ALL_KINDS }), slack({ events: ALL_KINDS }), email({}, ALL_KINDS)]);
    for (const kind of ALL_KINDS) n.notify(event(kind));
    await n.drain(10_000);
    const webhookBodies = http.to('/hooks/rosterd').map((r) => r.body + JSON.stringify(r.headers));
    const slackBodies = http.to(`/services/T01/B02/${SLACK_TOKEN}`).map((r) => r.body + JSON.stringify(r.headers));
    const mails = smtp.messages.map((m) => m.text);
    expect(webhookBodies).toHaveLength(5);
    expect(slackBodies).toHaveLength(5);
    expect(mails).toHaveLength(5);
    const everything = [...webhookBodies, ...slackBodies, ...mails, log.text()].join('\n');
    for (const secret of [HMAC_KEY, SLACK_TOKEN, SMTP_PASSWORD]) expect(everything).not.toContain(secret);
    // The SMTP password did reach the SMTP server, through AUTH over TLS only.
    expect(smtp.logins.length).toBeGreaterThan(0);
    expect(smtp.logins.every((l) => l.ok && l.secure)).toBe(true);
  });

  it('keeps secrets out of the logs when deliveries fail', async () => {
    http.status = () => 500;
    const wrongPassword = work.write('wrong-password', canary('wrong'));
    const deadSlack = work.write('dead-slack-url', `http://127.0.0.1:1/services/T01/B02/${SLACK_TOKEN}`);
    const { n, log, reports } = notifier([webhook(), slack({ webhookUrl: { file: deadSlack } }), { ...email(), smtp: { ...email().smtp, password: { file: wrongPassword } } }], { attempts: 2 });
    n.notify(event('failed'));
    await n.drain(10_000);
    expect(reports.map((r) => r.ok)).toEqual([false, false, false]);
    const text = log.text();
    expect(text).toContain('connection refused');
    expect(text).toContain('refused the login');
    for (const secret of [HMAC_KEY, SLACK_TOKEN, SMTP_PASSWORD, 'wrong-']) expect(text).not.toContain(secret);
    expect(text).not.toContain('/services/');
  });

  it('reports an unreadable secret by its reference, and still delivers to the other targets', async () => {
    const { n, reports, log } = notifier([webhook({ signingSecret: { file: `${work.path}/missing-key` } }), slack()], { attempts: 1 });
    n.notify(event('held'));
    await n.drain(5000);
    expect(http.to('/hooks/rosterd')).toHaveLength(0);
    expect(http.to(`/services/T01/B02/${SLACK_TOKEN}`)).toHaveLength(1);
    expect(reports.find((r) => r.target === 'ops-webhook')).toMatchObject({ ok: false });
    expect(log.text()).toContain(`secret reference file ${work.path}/missing-key cannot be resolved: the file does not exist`);
  });

  it('refuses a Slack URL that is not https (off loopback) without naming it', async () => {
    const plain = work.write('plain-slack-url', `http://hooks.example.org/services/T01/B02/${SLACK_TOKEN}`);
    const { n, reports, log } = notifier([slack({ webhookUrl: { file: plain } })]);
    n.notify(event('held'));
    await n.drain(5000);
    expect(reports).toEqual([{ target: 'slack', type: 'slack', ok: false, attempts: 1 }]);
    expect(log.text()).toContain('the Slack webhook URL must use https:');
    expect(log.text()).not.toContain(SLACK_TOKEN);
  });
});

describe('email over SMTP', () => {
  it('sends a readable plain-text summary over STARTTLS with AUTH, to every recipient', async () => {
    const { n, reports } = notifier([email()]);
    n.notify(event('held'));
    await n.drain(5000);
    expect(reports).toEqual([{ target: 'it-email', type: 'email', ok: true, attempts: 1 }]);
    const [mail] = smtp.messages;
    expect(mail!.secure).toBe(true);
    expect(mail!.from).toBe('rosterd@example.org');
    expect(mail!.to).toEqual(['it@example.org', 'ops@example.org']);
    expect(mail!.subject).toBe('[rosterd] springfield classes held: 812 students, 1 class would be removed');
    expect(mail!.text).toContain('Changes waiting for approval (nothing applied):');
    expect(mail!.text).toContain('students     10 created, 3 updated, 812 removed');
    expect(mail!.text).toContain('approve this run with `rosterd approve 42`');
    expect(mail!.text).toContain('Run details: http://127.0.0.1:8080/api/v1/runs/42');
  });

  it('never falls back to clear text: without STARTTLS on offer, nothing is sent and no login is tried', async () => {
    const cert = work.certificate();
    const plainOnly = await new SmtpReceiver({ key: cert.key, cert: cert.cert, username: 'rosterd', password: SMTP_PASSWORD, offerStarttls: false }).start();
    try {
      const { n, reports, log } = notifier([email({ port: plainOnly.port })]);
      n.notify(event('failed'));
      await n.drain(5000);
      expect(reports).toEqual([{ target: 'it-email', type: 'email', ok: false, attempts: 1 }]);
      expect(plainOnly.messages).toHaveLength(0);
      expect(plainOnly.logins).toHaveLength(0);
      expect(log.text()).toContain('did not complete TLS');
    } finally {
      await plainOnly.stop();
    }
  });

  it('refuses a certificate it does not trust', async () => {
    const { n, reports, log } = notifier([email({ caFile: undefined })], { attempts: 1 });
    n.notify(event('failed'));
    await n.drain(5000);
    expect(reports).toEqual([{ target: 'it-email', type: 'email', ok: false, attempts: 1 }]);
    expect(smtp.logins).toHaveLength(0);
    expect(log.text()).toMatch(/not trusted|did not complete TLS/);
  });
});
