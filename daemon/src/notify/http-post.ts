/**
 * One HTTP POST attempt for the webhook and Slack targets. A 2xx answer is a delivery; redirects are not followed
 * (a signed body or a secret URL must not be forwarded elsewhere); other 4xx answers except 408 and 429 are not
 * worth retrying. Each request closes its connection: notifications are rare and a kept-alive socket would hold
 * a CLI process open after it has finished.
 */
import { request } from 'undici';
import { DeliveryError, describeNetworkError } from './delivery-error.js';
import { notificationUrlProblem } from './config-checks.js';

export interface PostOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutSeconds: number;
  signal: AbortSignal;
  /** What to call the URL in messages: the webhook's host, or "the webhook URL" when the URL is a secret. */
  describeUrl: string;
}

export async function postOnce(o: PostOptions): Promise<void> {
  const problem = notificationUrlProblem(o.url);
  if (problem) throw new DeliveryError(`${o.describeUrl} ${problem}`, false);
  const timeout = AbortSignal.timeout(o.timeoutSeconds * 1000);
  let status: number;
  try {
    const res = await request(o.url, {
      method: 'POST',
      headers: o.headers,
      body: o.body,
      reset: true,
      headersTimeout: o.timeoutSeconds * 1000,
      bodyTimeout: o.timeoutSeconds * 1000,
      signal: AbortSignal.any([o.signal, timeout]),
    });
    status = res.statusCode;
    // The answer's body is of no interest (and could echo anything): read and drop it so the socket is freed.
    await res.body.dump().catch(() => undefined);
  } catch (err) {
    if (o.signal.aborted) throw new DeliveryError('abandoned at shutdown', false);
    if (timeout.aborted) throw new DeliveryError(`no answer within ${o.timeoutSeconds}s`, true);
    throw describeNetworkError(err, o.timeoutSeconds);
  }
  if (status >= 200 && status < 300) return;
  if (status >= 300 && status < 400) throw new DeliveryError(`${o.describeUrl} answered with a redirect (HTTP ${status}), which is not followed; configure the final URL`, false);
  const retry = status >= 500 || status === 408 || status === 429;
  throw new DeliveryError(`${o.describeUrl} answered HTTP ${status}`, retry);
}
