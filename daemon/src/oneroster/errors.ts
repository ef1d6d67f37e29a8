/**
 * The SIS connection errors: one code per failure a school IT admin can act on, each documented in docs/errors.md.
 * Messages name the SIS endpoint (scheme, host, path: never the query string, which may carry an app key)
 * and never contain the client secret or a token.
 */
import { RosterdError } from '../errors.js';

export const SisErrorCode = {
  tokenUnreachable: 'ROSTERD_SIS_TOKEN_UNREACHABLE',
  tls: 'ROSTERD_SIS_TLS',
  authFailed: 'ROSTERD_SIS_AUTH_FAILED',
  forbidden: 'ROSTERD_SIS_FORBIDDEN',
  notFound: 'ROSTERD_SIS_NOT_FOUND',
  notJson: 'ROSTERD_SIS_NOT_JSON',
  rateLimited: 'ROSTERD_SIS_RATE_LIMITED',
  unavailable: 'ROSTERD_SIS_UNAVAILABLE',
  timeout: 'ROSTERD_SIS_TIMEOUT',
  badResponse: 'ROSTERD_SIS_BAD_RESPONSE',
  /** Raised by the sync, not the client; listed here so every SIS code lives in one table. */
  orgNotFound: 'ROSTERD_SIS_ORG_NOT_FOUND',
  emptyRoster: 'ROSTERD_SIS_EMPTY_ROSTER',
} as const;

export type SisErrorCodeValue = (typeof SisErrorCode)[keyof typeof SisErrorCode];

/** A SIS failure: the run stops before touching the roster. */
export class SisError extends RosterdError {
  override readonly name = 'SisError';
  /** The endpoint that failed, as shown in the message (no query string). */
  readonly endpoint: string;
  constructor(code: SisErrorCodeValue, endpoint: string, message: string, hint: string, cause?: unknown) {
    super(code, message, { hint, dataEffect: 'run failed, roster unchanged', cause });
    this.endpoint = endpoint;
  }
}

/** scheme://host/path of a URL: drops user info, query and fragment, which may hold keys. */
export function endpointOf(url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * A cause safe to keep on an error: the name, code and message of a network error, with any secret scrubbed.
 * Raw undici errors are not kept, so nothing that saw a request (headers, body) can leak through `cause`.
 */
export function safeCause(err: unknown, secrets: readonly string[] = []): Error | undefined {
  if (err === undefined || err === null) return undefined;
  const source = err as { name?: unknown; message?: unknown; code?: unknown };
  const clean = new Error(scrub(String(source.message ?? err), secrets));
  clean.name = typeof source.name === 'string' ? source.name : 'Error';
  if (typeof source.code === 'string') (clean as Error & { code?: string }).code = source.code;
  return clean;
}

/** Removes every secret (raw and URL-encoded forms) from text that came from a server or a library. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), formEncode(secret)])) {
      out = out.split(form).join('[redacted]');
    }
  }
  return out;
}

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 2.3.1 asks for it in Basic auth). */
export function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

const hints = {
  tokenDns: 'check sis.tokenUrl for a typo, and that this machine can resolve the SIS host name (DNS, VPN, egress proxy: set HTTPS_PROXY if the district requires one).',
  tokenRefused: 'check sis.tokenUrl (host and port), that the SIS is running, and that a firewall or egress proxy lets this machine reach it (set HTTPS_PROXY if the district requires one).',
  tokenWrongUrl: 'check sis.tokenUrl: copy the token URL exactly as the SIS vendor gives it (it is often separate from the URL prefix, e.g. .../oauth/token).',
  tls: 'if the SIS uses a certificate from a private or district CA, save that CA as a PEM file and set sis.caFile to it; otherwise ask the SIS host to fix its certificate (expired, wrong host name or incomplete chain). Do not turn certificate checks off.',
  authFailed: 'check sis.clientId and the client secret it points to (sis.clientSecret); create new credentials in the SIS if they were rotated or revoked, and check sis.clientAuth (basic or body) matches what the vendor expects.',
  notFound: 'check sis.urlPrefix and sis.version: 1.1 lives under /ims/oneroster/v1p1 and 1.2 under /ims/oneroster/rostering/v1p2, usually after a vendor prefix; copy it exactly from the SIS documentation.',
  notJson: 'the SIS answered with a web page instead of data: usually a login page, a proxy or firewall block page, or a wrong URL. Check sis.urlPrefix and sis.tokenUrl, and whether an egress proxy needs to allow the SIS host.',
  rateLimited: 'the SIS kept asking rosterd to slow down. Run the sync at a quieter time, lower how often it runs, or ask the SIS vendor to raise the rate limit for this client.',
  unavailable: 'the SIS (or a proxy in front of it) is down or overloaded. Try again later; if it persists, check the SIS status with the vendor.',
  timeout: 'the SIS did not answer in time. Try again later, raise sis.timeoutSeconds, or lower sis.pageSize so each page is smaller.',
  badResponse: 'the SIS answered with data rosterd does not recognise. Check sis.version matches the SIS (1.1 or 1.2) and sis.urlPrefix points at the OneRoster API; if both are right, report this to the SIS vendor.',
} as const;

export function tokenUnreachableError(url: string, reason: 'dns' | 'refused' | 'status', detail: string, cause?: unknown): SisError {
  const endpoint = endpointOf(url);
  const what =
    reason === 'dns' ? 'its host name does not resolve' : reason === 'refused' ? 'the connection was refused or the host is unreachable' : detail;
  const hint = reason === 'dns' ? hints.tokenDns : reason === 'refused' ? hints.tokenRefused : hints.tokenWrongUrl;
  return new SisError(SisErrorCode.tokenUnreachable, endpoint, `Could not get a token from the SIS token URL ${endpoint}: ${what}.`, hint, safeCause(cause));
}

export function tlsError(url: string, detail: string, cause?: unknown): SisError {
  const endpoint = endpointOf(url);
  return new SisError(SisErrorCode.tls, endpoint, `The SIS at ${endpoint} failed the TLS certificate check: ${detail}.`, hints.tls, safeCause(cause));
}

export function authFailedError(url: string, detail: string, kind: 'token' | 'data'): SisError {
  const endpoint = endpointOf(url);
  const message =
    kind === 'token'
      ? `The SIS token URL ${endpoint} rejected the client credentials: ${detail}.`
      : `The SIS at ${endpoint} rejected a freshly issued token: ${detail}.`;
  return new SisError(SisErrorCode.authFailed, endpoint, message, hints.authFailed);
}

export function forbiddenError(url: string, scopes: readonly string[], kind: 'token' | 'data', detail = ''): SisError {
  const endpoint = endpointOf(url);
  const requested = scopes.length ? `scopes requested: ${scopes.join(' ')}` : 'no scopes were requested (sis.scopes is empty)';
  const message =
    kind === 'token'
      ? `The SIS token URL ${endpoint} refused the requested scopes${detail ? ` (${detail})` : ''}; ${requested}.`
      : `The SIS refused access to ${endpoint} (HTTP 403): the client is missing a permission or scope; ${requested}.`;
  const hint =
    'give this client read access to rosters in the SIS (OneRoster scopes roster-core.readonly and roster.readonly), and make sis.scopes list the scopes the SIS expects.';
  return new SisError(SisErrorCode.forbidden, endpoint, message, hint);
}

export function notFoundError(url: string): SisError {
  const endpoint = endpointOf(url);
  return new SisError(SisErrorCode.notFound, endpoint, `The SIS has no OneRoster collection at ${endpoint} (HTTP 404).`, hints.notFound);
}

export function notJsonError(url: string, detail: string): SisError {
  const endpoint = endpointOf(url);
  return new SisError(SisErrorCode.notJson, endpoint, `The SIS at ${endpoint} did not answer with JSON: ${detail}.`, hints.notJson);
}

export function rateLimitedError(url: string, attempts: number): SisError {
  const endpoint = endpointOf(url);
  return new SisError(
    SisErrorCode.rateLimited,
    endpoint,
    `The SIS at ${endpoint} kept answering 429 Too Many Requests; rosterd gave up after ${attempts} attempts.`,
    hints.rateLimited,
  );
}

export function unavailableError(url: string, detail: string, attempts: number, cause?: unknown): SisError {
  const endpoint = endpointOf(url);
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new SisError(SisErrorCode.unavailable, endpoint, `The SIS at ${endpoint} is unavailable: ${detail}${tries}.`, hints.unavailable, safeCause(cause));
}

export function timeoutError(url: string, seconds: number, attempts: number): SisError {
  const endpoint = endpointOf(url);
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  return new SisError(SisErrorCode.timeout, endpoint, `The SIS at ${endpoint} did not answer within ${seconds} s${tries}.`, hints.timeout);
}

export function badResponseError(url: string, detail: string): SisError {
  const endpoint = endpointOf(url);
  return new SisError(SisErrorCode.badResponse, endpoint, `The SIS at ${endpoint} sent a response rosterd cannot use: ${detail}.`, hints.badResponse);
}

/** For the sync: the configured orgId is missing, or is not a school or district. */
export function orgNotFoundError(url: string, orgId: string, detail: string): SisError {
  const endpoint = endpointOf(url);
  return new SisError(
    SisErrorCode.orgNotFound,
    endpoint,
    `The SIS at ${endpoint} has no school or district with sourcedId "${orgId}": ${detail}.`,
    'set sis.orgId to the sourcedId of the school or district to sync (not its name or state code); `rosterd preview` or the SIS admin console lists the orgs.',
  );
}

/** For the sync: the SIS returned nothing where it previously returned a roster. */
export function emptyRosterError(url: string, collection: string, previousCount: number): SisError {
  const endpoint = endpointOf(url);
  return new SisError(
    SisErrorCode.emptyRoster,
    endpoint,
    `The SIS at ${endpoint} returned no ${collection}, but the last successful sync had ${previousCount}; rosterd did not apply an empty roster.`,
    'check in the SIS that the roster is still there and that this client can still see the school (sharing rules, scopes, school year rollover). If the school really has no roster now, remove or disable the integration.',
  );
}
