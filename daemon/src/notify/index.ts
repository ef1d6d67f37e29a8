/**
 * Sync notifications: tells an integration's webhook, Slack and email targets about the runs they asked for.
 *
 * Delivery is fire-and-forget on purpose: a notification is about a sync, never part of it, so a slow or dead
 * target must not delay or fail one. Each delivery retries with capped exponential backoff, reports its outcome
 * once through onDelivery (the daemon's rosterd_notifications_total{target,result}), and logs failures in words
 * built from codes and statuses, with every secret this target resolved scrubbed out as a last guard.
 * Secrets are resolved per attempt, so a rotated Secret is used without a reload, and each target only ever
 * resolves its own references.
 */
import { randomUUID } from 'node:crypto';
import type { NotificationTarget, SecretRef } from '../config/types.js';
import { isRosterdError } from '../errors.js';
import { DeliveryError } from './delivery-error.js';
import { sendEmail } from './email.js';
import type { SyncEvent } from './event.js';
import { sendSlack } from './slack.js';
import { sendWebhook, type Attempt } from './webhook.js';

export { NOTIFY_EVENT_KINDS, headline, summaryText, webhookPayload, type ChangeCounts, type NotifyEventKind, type SyncEvent } from './event.js';
export { signature } from './webhook.js';
export { slackMessage } from './slack.js';
export { emailSubject } from './email.js';
export type { NotificationTarget } from '../config/types.js';

export interface NotifyLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface DeliveryReport {
  /** The target's name from the config. */
  target: string;
  type: NotificationTarget['type'];
  ok: boolean;
  attempts: number;
}

export interface NotifierOptions {
  /** One integration's notification targets (IntegrationConfig.notifications). */
  targets: NotificationTarget[];
  /** Reads a secret reference now (config/secrets.ts resolveSecret with the operator's policy). */
  resolveSecret: (ref: SecretRef) => Promise<string>;
  logger?: NotifyLogger;
  /** Called once per delivery, when it has succeeded or given up. */
  onDelivery?: (e: DeliveryReport) => void;
  /** attempts: 3; baseDelayMs: 1000 (doubling per attempt, ±20 % jitter); maxDelayMs: 30000. */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
}

const SILENT: NotifyLogger = { warn() {}, info() {} };

export class Notifier {
  private readonly targets: NotificationTarget[];
  private readonly resolveSecret: (ref: SecretRef) => Promise<string>;
  private readonly logger: NotifyLogger;
  private readonly onDelivery?: (e: DeliveryReport) => void;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  /** Each in-flight delivery and the switch that abandons it when a drain runs out of time. */
  private readonly inFlight = new Map<Promise<void>, AbortController>();

  constructor(options: NotifierOptions) {
    this.targets = options.targets;
    this.resolveSecret = options.resolveSecret;
    this.logger = options.logger ?? SILENT;
    this.onDelivery = options.onDelivery;
    this.attempts = Math.max(1, Math.floor(options.retry?.attempts ?? 3));
    this.baseDelayMs = Math.max(0, options.retry?.baseDelayMs ?? 1000);
    this.maxDelayMs = Math.max(this.baseDelayMs, options.retry?.maxDelayMs ?? 30_000);
  }

  /** Fire and forget: never throws, never blocks the caller; each target gets the event only if it asked for its kind. */
  notify(event: SyncEvent): void {
    for (const target of this.targets) {
      try {
        if (!target.events.includes(event.kind)) continue;
        const controller = new AbortController();
        const delivery = this.deliver(target, event, controller.signal);
        this.inFlight.set(delivery, controller);
        void delivery.finally(() => this.inFlight.delete(delivery));
      } catch (err) {
        // Only a malformed target can get here (the config is validated); it must not stop the others.
        this.logger.warn({ target: safeName(target), err: String((err as Error)?.name ?? 'error') }, 'notification target skipped: malformed');
      }
    }
  }

  /** Waits for in-flight deliveries (for shutdown and for the CLI before it exits), at most timeoutMs; then abandons the rest. */
  async drain(timeoutMs: number): Promise<void> {
    const pending = [...this.inFlight.keys()];
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs));
    });
    const outcome = await Promise.race([Promise.allSettled(pending).then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      for (const d of pending) this.inFlight.get(d)?.abort();
    }
  }

  /** Never rejects: every outcome is logged and reported. */
  private async deliver(target: NotificationTarget, event: SyncEvent, signal: AbortSignal): Promise<void> {
    await Promise.resolve(); // nothing of a delivery runs inside the caller's notify()
    const resolved: string[] = [];
    const attempt: Attempt = {
      deliveryId: randomUUID(),
      signal,
      resolveSecret: async (ref) => {
        const value = await this.resolveSecret(ref);
        resolved.push(value);
        return value;
      },
    };
    const base = { target: target.name, type: target.type, integration: event.integration, job: event.job, runId: event.runId, event: event.kind };
    for (let n = 1; ; n++) {
      try {
        if (signal.aborted) throw new DeliveryError('abandoned at shutdown', false);
        await send(target, event, attempt);
        this.logger.info({ ...base, attempts: n }, `notification delivered to ${target.name}`);
        this.report({ target: target.name, type: target.type, ok: true, attempts: n });
        return;
      } catch (err) {
        const failure = asDeliveryError(err);
        const message = scrub(failure.message, resolved);
        const last = n >= this.attempts || !failure.retry || signal.aborted;
        if (last) {
          this.logger.warn({ ...base, attempts: n, error: message }, `notification to ${target.name} failed after ${n} attempt${n === 1 ? '' : 's'}: ${message}; the sync itself is unaffected`);
          this.report({ target: target.name, type: target.type, ok: false, attempts: n });
          return;
        }
        const delay = this.delayBefore(n + 1);
        this.logger.warn({ ...base, attempt: n, retryInMs: delay, error: message }, `notification to ${target.name} failed (attempt ${n} of ${this.attempts}): ${message}; retrying`);
        await sleep(delay, signal);
      }
    }
  }

  private delayBefore(attempt: number): number {
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 2));
    return Math.round(exp * (0.8 + Math.random() * 0.4));
  }

  private report(e: DeliveryReport): void {
    try {
      this.onDelivery?.(e);
    } catch {
      // A broken metrics hook must not turn into an unhandled rejection.
    }
  }
}

function send(target: NotificationTarget, event: SyncEvent, a: Attempt): Promise<void> {
  switch (target.type) {
    case 'webhook':
      return sendWebhook(target, event, a);
    case 'slack':
      return sendSlack(target, event, a);
    case 'email':
      return sendEmail(target, event, a);
  }
}

/** A secret that cannot be read is worth retrying (a Secret being re-mounted); its message names only the reference. */
function asDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (isRosterdError(err)) return new DeliveryError(`${err.message} [${err.code}]`, err.code !== 'ROSTERD_SECRET_NOT_ALLOWED');
  return new DeliveryError(`unexpected error (${(err as Error)?.name ?? 'error'})`, true);
}

function scrub(message: string, secrets: string[]): string {
  let out = message;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

function safeName(target: unknown): string {
  const name = (target as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '(unnamed)';
}

/** An unref'd timer: a pending retry must not keep a finished CLI process alive (drain() waits when it should). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}
