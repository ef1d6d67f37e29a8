/**
 * Turning HTTP outcomes into SIS errors, shared by the token and data requests:
 * network failures, non-JSON bodies (login pages, proxies), and the statuses both sides treat alike.
 */
import { endpointOf, notJsonError, rateLimitedError, scrub, timeoutError, tlsError, unavailableError, type SisError } from './errors.js';
import type { HttpResponse, NetworkFailure } from './http.js';

/** A network failure (after retries) on a data request; the token side handles dns/refused itself. */
export function networkFailureError(failure: NetworkFailure, url: string, timeoutSeconds: number): SisError {
  switch (failure.kind) {
    case 'tls':
      return tlsError(url, failure.detail, failure.cause);
    case 'timeout':
      return timeoutError(url, timeoutSeconds, failure.attempts);
    default:
      return unavailableError(url, failure.detail, failure.attempts, failure.cause);
  }
}

/** The errors every status class shares: redirects (a login page), 429 after retries, 5xx after retries. Null otherwise. */
export function commonStatusError(res: HttpResponse, url: string): SisError | null {
  if (res.status >= 300 && res.status < 400) {
    const location = header(res, 'location');
    const where = location ? ` to ${safeLocation(location, url)}` : '';
    return notJsonError(url, `it redirected (HTTP ${res.status})${where}, as a login page or proxy does`);
  }
  if (res.status === 429) return rateLimitedError(url, res.attempts);
  if (res.status >= 500) {
    return unavailableError(url, `HTTP ${res.status}${statusText(res.status)}`, res.attempts);
  }
  return null;
}

/**
 * The body as JSON, or a ROSTERD_SIS_NOT_JSON error that says what came instead (the page title of an HTML page,
 * which usually names the login portal or the proxy that answered). `secrets` are scrubbed from anything quoted.
 */
export function parseJsonBody(res: HttpResponse, url: string, secrets: readonly string[] = []): unknown {
  const type = header(res, 'content-type') ?? '';
  const text = res.body.replace(/^\uFEFF/, '');
  const looksHtml = /html/i.test(type) || /^\s*</.test(text);
  if (!looksHtml) {
    try {
      return JSON.parse(text);
    } catch {
      /* fall through to the error below */
    }
  }
  if (looksHtml) {
    const title = /<title[^>]*>([^<]{1,120})/i.exec(text)?.[1]?.trim();
    const what = title ? `an HTML page titled "${scrub(title, secrets)}"` : 'an HTML page';
    throw notJsonError(url, `HTTP ${res.status} with ${what}`);
  }
  const sample = scrub(text.slice(0, 60).replace(/\s+/g, ' ').trim(), secrets);
  throw notJsonError(url, `HTTP ${res.status} with ${type ? `content type ${type}` : 'no content type'}${sample ? `, starting "${sample}"` : ', and an empty body'}`);
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Where a redirect pointed, without its query string; relative locations resolve against the request URL. */
function safeLocation(location: string, base: string): string {
  try {
    return endpointOf(new URL(location, base));
  } catch {
    return 'an unparseable location';
  }
}

function statusText(status: number): string {
  const names: Record<number, string> = { 500: ' Internal Server Error', 502: ' Bad Gateway', 503: ' Service Unavailable', 504: ' Gateway Timeout' };
  return names[status] ?? '';
}
