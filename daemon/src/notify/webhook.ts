/**
 * The webhook target: the event as JSON, signed so the receiver can tell it came from rosterd and was not
 * replayed. How a receiver verifies a request:
 *
 *   const expected = 'sha256=' + createHmac('sha256', key).update(`${req.headers['x-rosterd-timestamp']}.${rawBody}`).digest('hex');
 *   ok = timingSafeEqual(Buffer.from(expected), Buffer.from(req.headers['x-rosterd-signature']))
 *        && Math.abs(Date.now() / 1000 - Number(req.headers['x-rosterd-timestamp'])) < 300;
 *
 * The timestamp is signed with the body, so an old request cannot be re-sent with a fresh timestamp. Each
 * attempt is signed anew; X-Rosterd-Delivery stays the same across retries, so a receiver can drop duplicates.
 */
import { createHmac } from 'node:crypto';
import type { WebhookTarget } from '../config/types.js';
import { webhookPayload, type SyncEvent } from './event.js';
import { postOnce } from './http-post.js';

export function signature(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface Attempt {
  deliveryId: string;
  signal: AbortSignal;
  resolveSecret: (ref: import('../config/types.js').SecretRef) => Promise<string>;
}

export async function sendWebhook(target: WebhookTarget, event: SyncEvent, a: Attempt): Promise<void> {
  // Resolved per attempt: a rotated key is used at once, and a key that is briefly unreadable may come back.
  const key = await a.resolveSecret(target.signingSecret);
  const body = JSON.stringify(webhookPayload(event));
  const timestamp = String(Math.floor(Date.now() / 1000));
  let host = 'the webhook';
  try {
    host = `the webhook at ${new URL(target.url).host}`;
  } catch {
    // postOnce reports the bad URL
  }
  await postOnce({
    url: target.url,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'rosterd',
      'x-rosterd-event': event.kind,
      'x-rosterd-delivery': a.deliveryId,
      'x-rosterd-timestamp': timestamp,
      'x-rosterd-signature': signature(key, timestamp, body),
    },
    timeoutSeconds: target.timeoutSeconds,
    signal: a.signal,
    describeUrl: host,
  });
}
